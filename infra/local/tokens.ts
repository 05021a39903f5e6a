/**
 * Local-stage access tokens: HS256 with the local JWT secret, shaped like Supabase's
 * (`aud: authenticated`, `role: authenticated`, `app_metadata.org_id`/`staff_role`).
 * Never part of a deployed bundle.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ORG_ID_PATTERN } from '../../shared/auth/claims';
import { isRole, type Role } from '../../shared/protocol/roles';

export const LOCAL_JWT_SECRET_DEFAULT = 'local-stage-jwt-secret-at-least-32-chars';
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;

export interface MintLocalTokenOptions {
  readonly orgId: string;
  readonly role: Role;
  /** The user id (`sub`). @default a random UUID */
  readonly sub?: string;
  /** @default 86400 (24 h) */
  readonly expiresInSeconds?: number;
  /** @default `local-stage-jwt-secret-at-least-32-chars` */
  readonly secret?: string;
  /** Sets `iss` (needed when the stage checks `JWT_ISSUER`). @default no `iss` */
  readonly issuer?: string;
  /** @default now */
  readonly now?: Date;
}

/**
 * @example
 * const token = await mintLocalToken({ orgId: 'demo', role: 'manager' });
 * new WebSocket(`ws://localhost:8080/staff-sync?token=${token}`);
 */
export async function mintLocalToken(options: MintLocalTokenOptions): Promise<string> {
  const { orgId, role } = options;
  if (!ORG_ID_PATTERN.test(orgId)) throw new Error('orgId must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
  if (!isRole(role)) throw new Error('role must be admin, manager or viewer');
  const ttl = options.expiresInSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('expiresInSeconds must be a positive integer');
  const sub = options.sub ?? randomUUID();
  if (sub.length === 0) throw new Error('sub must not be empty');
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({
    role: 'authenticated',
    aal: 'aal1',
    session_id: randomUUID(),
    is_anonymous: false,
    app_metadata: { provider: 'local', providers: ['local'], org_id: orgId, staff_role: role },
    user_metadata: {},
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setAudience('authenticated')
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl);
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(options.secret ?? LOCAL_JWT_SECRET_DEFAULT));
}
