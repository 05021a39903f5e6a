/**
 * What an end-to-end test knows about the stage under test: its URLs and how to get tokens.
 * Local by default (global-setup starts one); a deployed stage with STAGE_WS_URL, STAGE_HTTP_URL
 * and STAGE_JWT_SECRET (with STAGE_JWT_ISSUER when the stack checks `iss`) or STAGE_TOKEN_COMMAND (a command taking --org ORG --role ROLE --sub USER
 * that prints a token).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

export type Role = 'admin' | 'manager' | 'viewer';

export const stage = {
  get wsUrl(): string {
    return required('STAGE_WS_URL');
  },
  get httpUrl(): string {
    return required('STAGE_HTTP_URL');
  },
  get isLocal(): boolean {
    return process.env.LOCAL_STAGE === '1';
  },
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through jest (global-setup starts a local stage) or set it`);
  return value;
}

/** Cases that need the local stage (fault injection, emulator switches, DB_PORT) skip loudly elsewhere. */
export const localOnly = (name: string): string => `[local] ${name}`;
export function itLocal(name: string, fn: () => Promise<void>, timeout?: number): void {
  if (stage.isLocal) it(localOnly(name), fn, timeout);
  else it.skip(`${localOnly(name)} (skipped: needs the local stage)`, fn);
}

export const newOrgId = (): string => `e2e-${randomBytes(6).toString('hex')}`;

export interface TokenOptions {
  readonly orgId: string;
  readonly role?: Role;
  readonly sub?: string;
  readonly expiresInSeconds?: number;
}

export async function tokenFor({ orgId, role = 'manager', sub = randomUUID(), expiresInSeconds = 3600 }: TokenOptions): Promise<string> {
  const command = process.env.STAGE_TOKEN_COMMAND;
  if (command) {
    const [file, ...args] = command.split(' ');
    return execFileSync(file!, [...args, '--org', orgId, '--role', role, '--sub', sub], { encoding: 'utf8' }).trim();
  }
  return signToken({ app_metadata: { org_id: orgId, staff_role: role } }, { sub, expiresInSeconds });
}

/** Signs arbitrary claims with the stage's HS256 secret (for the refused-token cases). */
export async function signToken(
  claims: Record<string, unknown>,
  { sub = randomUUID(), expiresInSeconds = 3600, audience = 'authenticated', secret = required('STAGE_JWT_SECRET') }: { sub?: string; expiresInSeconds?: number; audience?: string | null; secret?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ role: 'authenticated', ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuedAt(now).setExpirationTime(now + expiresInSeconds);
  if (audience) jwt = jwt.setAudience(audience);
  // A deployed authorizer checks `iss` ({SUPABASE_URL}/auth/v1 by default).
  if (process.env.STAGE_JWT_ISSUER) jwt = jwt.setIssuer(process.env.STAGE_JWT_ISSUER);
  return jwt.sign(new TextEncoder().encode(secret));
}
