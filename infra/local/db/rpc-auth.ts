/**
 * Who is calling, decided as Supabase decides it: the API gateway first requires a known `apikey`
 * (header or `apikey` query parameter), then PostgREST takes the role from the verified Bearer JWT
 * (`role` claim, anon without one). New-style keys: `sb_secret_…` → service_role and
 * `sb_publishable_…` → anon, when sent alone or with the same value as Bearer (what supabase-js
 * does); the gateway hands PostgREST no JWT for them, so a refused anon call is a 401 there, while a
 * legacy anon JWT carries a `role` and PostgREST answers its 42501 with 403.
 */
import { createHmac } from 'node:crypto';
import { PgrstError } from './rpc-errors';
import { isJwtShaped, signHs256, verifyHs256, type JwtClaims } from './jwt-hs256';

export const ANON_ROLE = 'anon';
const LEGACY_KEY_IAT = 1_700_000_000;
const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;

const legacyKey = (role: string, jwtSecret: string): string =>
  signHs256({ iss: 'supabase', ref: 'local', role, iat: LEGACY_KEY_IAT, exp: LEGACY_KEY_IAT + TEN_YEARS_SECONDS }, jwtSecret);

const derivedKey = (prefix: string, jwtSecret: string): string =>
  `${prefix}${createHmac('sha256', jwtSecret).update(prefix).digest('base64url').slice(0, 32)}`;

/** The legacy `service_role` key: HS256 with the project JWT secret, `role: service_role`, no aud/sub. Stable per secret. */
export const makeServiceRoleKey = (jwtSecret: string): string => legacyKey('service_role', jwtSecret);
/** The legacy `anon` key. */
export const makeAnonKey = (jwtSecret: string): string => legacyKey('anon', jwtSecret);
/** This stage's `sb_secret_…` key (derived from the JWT secret, so stable across restarts). */
export const makeSecretKey = (jwtSecret: string): string => derivedKey('sb_secret_', jwtSecret);
/** This stage's `sb_publishable_…` key. */
export const makePublishableKey = (jwtSecret: string): string => derivedKey('sb_publishable_', jwtSecret);

export interface Caller {
  /** The Postgres role the call runs as. */
  readonly role: string;
  /** Put in `request.jwt.claims`. */
  readonly claims: JwtClaims;
  /** PostgREST's `authed`: a JWT with a `role` claim came with the request (42501 → 403 rather than 401). */
  readonly authed: boolean;
}

/** The API gateway's refusal: `{message, hint}`, no code. */
const gatewayRefusal = (message: string, hint: string): PgrstError =>
  new PgrstError(401, { message, hint }, { payload: { message, hint } });

const jwtRefusal = (code: string, message: string): PgrstError =>
  new PgrstError(401, { code, message }, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}` },
  });

/** Throws the gateway's or PostgREST's 401; returns the caller otherwise. */
export function authenticate(apikey: string | undefined, authorization: string | undefined, jwtSecret: string): Caller {
  if (!apikey) {
    throw gatewayRefusal('No API key found in request', 'No `apikey` request header or url param was found.');
  }
  const invalidKey = () => gatewayRefusal('Invalid API key', 'Double check your Supabase `anon` or `service_role` API key.');
  let keyRole: string | undefined;
  if (apikey === makeSecretKey(jwtSecret)) keyRole = 'service_role';
  else if (apikey === makePublishableKey(jwtSecret)) keyRole = ANON_ROLE;
  else if (isJwtShaped(apikey)) {
    const verified = verifyHs256(apikey, jwtSecret);
    const role = verified.ok ? verified.claims.role : undefined;
    if (role !== 'service_role' && role !== ANON_ROLE) throw invalidKey();
  } else throw invalidKey();

  const bearer = /^bearer\s+(.*)$/i.exec(authorization ?? '')?.[1]?.trim();
  if (keyRole !== undefined && (bearer === undefined || bearer === apikey)) {
    return { role: keyRole, claims: { role: keyRole }, authed: false };
  }
  const token = bearer ?? apikey;
  const verified = verifyHs256(token, jwtSecret);
  if (!verified.ok) throw jwtRefusal(verified.refusal.code, verified.refusal.message);
  const role = verified.claims.role;
  return {
    role: typeof role === 'string' && role !== '' ? role : ANON_ROLE,
    claims: verified.claims,
    authed: Object.prototype.hasOwnProperty.call(verified.claims, 'role'),
  };
}
