/**
 * The SQL data contract as postgrest-js sees it: the functions the staff store calls, with their
 * named arguments (CONTRIBUTING.md). Results are `unknown` here on purpose: each is parsed by its
 * zod schema in `results.ts`, the one place the result shapes are defined.
 */
type Fn<Args> = { Args: Args; Returns: unknown };
type WriteArgs = { p_org_id: string; p_actor: string; p_request_id: string };
type PageLimits = { p_max_bytes?: number; p_max_rows?: number };

export interface StaffDatabase {
  public: {
    Tables: Record<never, never>;
    Views: Record<never, never>;
    Functions: {
      staff_create: Fn<WriteArgs & { p_staff: unknown }>;
      staff_update: Fn<WriteArgs & { p_staff_id: string; p_base_version: number; p_changes: unknown }>;
      staff_delete: Fn<WriteArgs & { p_staff_id: string; p_base_version: number }>;
      staff_batch: Fn<WriteArgs & { p_operations: unknown }>;
      staff_changes: Fn<{ p_org_id: string; p_since_seq: number } & PageLimits>;
      staff_snapshot: Fn<{ p_org_id: string; p_snapshot_seq?: number; p_after_id?: string } & PageLimits>;
      staff_changes_stream: Fn<{ p_org_id: string; p_since_seq: number; p_max_pages?: number } & PageLimits>;
      staff_snapshot_stream: Fn<{ p_org_id: string; p_snapshot_seq?: number; p_after_id?: string; p_max_pages?: number } & PageLimits>;
      staff_latest_seq: Fn<{ p_org_id: string }>;
      staff_latest_seqs: Fn<{ p_org_id: string }>;
      staff_department_changes: Fn<{ p_org_id: string; p_departments: string[]; p_since: Record<string, number>; p_after_seq?: number } & PageLimits>;
      staff_department_snapshot: Fn<{ p_org_id: string; p_departments: string[]; p_positions?: Record<string, number>; p_after_id?: string } & PageLimits>;
      staff_change_at: Fn<{ p_org_id: string; p_seq: number }>;
      staff_health: Fn<Record<never, never>>;
    };
    Enums: Record<never, never>;
    CompositeTypes: Record<never, never>;
  };
}

export type StaffFunction = keyof StaffDatabase['public']['Functions'];
export type StaffFunctionArgs<F extends StaffFunction> = StaffDatabase['public']['Functions'][F]['Args'];
