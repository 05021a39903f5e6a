/**
 * The `$connect` Lambda REQUEST authorizer's outcome, as API Gateway judges it
 * (docs/reference-apigw.md §2.2, §2.3): `Unauthorized` → 401, Deny or no Allow covering the
 * methodArn → 403, anything else wrong → 500; Allow → the flattened, stringified context.
 */
import type { AuthorizerContext } from './types';

export type AuthorizerOutcome =
  | { readonly allowed: true; readonly context: AuthorizerContext }
  | { readonly allowed: false; readonly status: 401 | 403 | 500; readonly reason: string };

/** API Gateway's limit on an authorizer result (WebSocket quotas, not adjustable). */
const MAX_RESULT_BYTES = 8192;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when the authorizer failed with the error `"Unauthorized"` (thrown Error or string). */
export const isUnauthorized = (error: unknown): boolean =>
  error === 'Unauthorized' || (error instanceof Error && error.message === 'Unauthorized');

/** IAM-style wildcard match: `*` any run of characters, `?` one character. */
const globMatches = (pattern: string, value: string, ignoreCase = false): boolean => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
};

const asList = (value: unknown): string[] | undefined => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  return undefined;
};

interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly resources: string[];
}

const parseStatements = (policy: unknown): Statement[] | undefined => {
  if (!isRecord(policy)) return undefined;
  const raw = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const statements: Statement[] = [];
  for (const entry of raw) {
    if (!isRecord(entry) || (entry.Effect !== 'Allow' && entry.Effect !== 'Deny')) return undefined;
    const actions = asList(entry.Action);
    const resources = asList(entry.Resource);
    if (!actions || !resources) return undefined;
    statements.push({ effect: entry.Effect, actions, resources });
  }
  return statements;
};

const covers = (statement: Statement, methodArn: string): boolean =>
  statement.actions.some((a) => globMatches(a, 'execute-api:Invoke', true)) &&
  statement.resources.some((r) => globMatches(r, methodArn));

const flattenContext = (context: unknown): Record<string, string> | undefined => {
  if (context === undefined || context === null) return {};
  if (!isRecord(context)) return undefined;
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    flat[key] = String(value);
  }
  return flat;
};

/** Judges what the authorizer returned; `latencyMs` becomes `integrationLatency`. */
export const evaluateAuthorizerResult = (
  result: unknown,
  methodArn: string,
  latencyMs: number,
): AuthorizerOutcome => {
  const malformed = (reason: string): AuthorizerOutcome => ({ allowed: false, status: 500, reason });
  if (!isRecord(result) || typeof result.principalId !== 'string') return malformed('result without principalId');
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(result));
  } catch {
    return malformed('result is not serialisable');
  }
  if (size > MAX_RESULT_BYTES) return malformed(`result of ${size} bytes exceeds 8 KB`);
  const statements = parseStatements(result.policyDocument);
  if (!statements) return malformed('malformed policyDocument');
  const context = flattenContext(result.context);
  if (!context) return malformed('context values must be strings, numbers or booleans');
  const applicable = statements.filter((s) => covers(s, methodArn));
  if (applicable.some((s) => s.effect === 'Deny')) return { allowed: false, status: 403, reason: 'denied by policy' };
  if (!applicable.some((s) => s.effect === 'Allow')) {
    return { allowed: false, status: 403, reason: 'policy does not allow the methodArn' };
  }
  return {
    allowed: true,
    context: { ...context, principalId: result.principalId, integrationLatency: latencyMs },
  };
};
