/**
 * The Supabase Database Webhook for changes made straight in the database: the secret header
 * compared in constant time, and the body read only as a signal `{orgId, seq}` — the change
 * itself is re-read through RPC, so a forged body can broadcast nothing that is not in the log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { ORG_ID_PATTERN } from './protocol/tenancy';

export const WEBHOOK_SECRET_HEADER = 'x-staff-sync-webhook-secret';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Equal-length digests make the comparison constant-time whatever the lengths. */
export function secretMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined || expected.length === 0) return false;
  return timingSafeEqual(digest(received), digest(expected));
}

/** Supabase's webhook shape `{type, table, schema, record, old_record}` with a change-log row as `record`. */
const webhookBodySchema = z.object({
  type: z.literal('INSERT'),
  record: z.object({
    org_id: z.string().check(z.regex(ORG_ID_PATTERN)),
    seq: z.coerce.number().check(z.int(), z.minimum(1)),
  }),
});

export interface WebhookSignal {
  readonly orgId: string;
  readonly seq: number;
}

export function parseWebhookSignal(body: string | undefined): WebhookSignal | undefined {
  if (!body) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = webhookBodySchema.safeParse(json);
  return parsed.success ? { orgId: parsed.data.record.org_id, seq: parsed.data.record.seq } : undefined;
}
