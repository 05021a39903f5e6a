/**
 * Verified JWT claims → the identity the connection keeps for its whole life (docs/protocol.md
 * §2.3). Only `sub`, `exp` and `app_metadata` are read; never `email` or `user_metadata`.
 */
import type { JWTPayload } from 'jose';
import { DEPARTMENT_MAX_CHARS, MAX_SUBSCRIBED_DEPARTMENTS } from '../protocol/departments';
import { isRole, type Role } from '../protocol/roles';
import { unauthorized } from './errors';

export interface Identity {
  readonly userId: string;
  readonly orgId: string;
  readonly role: Role;
  /** The token's `exp`, epoch seconds. */
  readonly tokenExp: number;
  /** `app_metadata.departments`: the only departments this connection may see (sorted); absent: all. */
  readonly departments?: readonly string[];
}


function departmentsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= MAX_SUBSCRIBED_DEPARTMENTS &&
    value.every((d) => typeof d === 'string' && d.trim() === d && d.length > 0 && [...d].length <= DEPARTMENT_MAX_CHARS) &&
    new Set(value).size === value.length;
  if (!valid) throw unauthorized('app_metadata.departments malformed');
  return [...(value as string[])].sort();
}

import { ORG_ID_PATTERN } from '../protocol/tenancy';

export { ORG_ID_PATTERN };
const MAX_SUB_CHARS = 255;

export function identityFromClaims(payload: JWTPayload): Identity {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_CHARS) throw unauthorized('sub claim missing or malformed');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw unauthorized('exp claim missing');
  const appMetadata = payload.app_metadata;
  if (typeof appMetadata !== 'object' || appMetadata === null || Array.isArray(appMetadata)) {
    throw unauthorized('app_metadata.org_id missing');
  }
  const { org_id: orgId, staff_role: staffRole, departments: allowed } = appMetadata as Record<string, unknown>;
  if (orgId === undefined) throw unauthorized('app_metadata.org_id missing');
  if (typeof orgId !== 'string' || !ORG_ID_PATTERN.test(orgId)) throw unauthorized('app_metadata.org_id malformed');
  let role: Role = 'viewer';
  if (staffRole !== undefined) {
    if (!isRole(staffRole)) throw unauthorized('app_metadata.staff_role is not admin, manager or viewer');
    role = staffRole;
  }
  const departments = departmentsOf(allowed);
  return departments ? { userId: sub, orgId, role, tokenExp: exp, departments } : { userId: sub, orgId, role, tokenExp: exp };
}
