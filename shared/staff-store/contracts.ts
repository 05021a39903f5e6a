/**
 * The sync pages' result contracts: their zod schemas (results.ts), each checked first by its
 * compiled form (pages.validator.ts, generated from those schemas by scripts/generate-validators.ts).
 * A sync answers up to 64 pages of records, which zod would copy object by object; the compiled
 * check reads them in place. It passes only values zod returns unchanged, and anything else takes
 * zod's own path, so the result is always zod's.
 */
import type * as z from 'zod/mini';
import { isDepartmentPageExactly, isPageExactly, isStreamExactly } from './pages.validator';
import { departmentPageSchema, pageSchema, streamSchema } from './results';

/** What the adapter checks a result with: a zod schema, or a contract of one with a faster path. */
export interface ResultContract<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: unknown };
}

const exactly = <T>(isExactly: (data: unknown) => boolean, schema: z.ZodMiniType<T>): ResultContract<T> => ({
  safeParse: (data) => (isExactly(data) ? { success: true, data: data as T } : schema.safeParse(data)),
});

export const pageContract = exactly(isPageExactly, pageSchema);
export const departmentPageContract = exactly(isDepartmentPageExactly, departmentPageSchema);
export const streamContract = exactly(isStreamExactly, streamSchema);
