/**
 * Supabase access token → `Identity` (docs/protocol.md §2.2), with `jose`.
 * Algorithms are fixed per key source, so HS/RS key confusion cannot happen: HS256 only with
 * the configured secret, ES256/RS256 only with a key from the project's JWKS (chosen by `kid`,
 * cached, cool-down on an unknown `kid`, short fetch timeout). `alg: none` never verifies.
 * Build one verifier per process (module scope): its JWKS cache lives in it.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../secrets';
import { identityFromClaims, type Identity } from './claims';
import { unauthorized, unavailable } from './errors';

export const MIN_SECRET_BYTES = 32;
/** Supabase access tokens are 1–2 KB; a much larger one is refused before any parsing. */
const MAX_TOKEN_CHARS = 8 * 1024;
/**
 * A compact JWS as RFC 7515 writes it: three base64url segments, no padding, no whitespace. jose
 * decodes segments with `atob`, which skips whitespace and `=`, so without this check a valid
 * token with a newline or padding appended to its signature would verify as well.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'];

export interface TokenVerifierOptions {
  /** Resolves `config.jwtSecret`. @default the process-wide resolver of shared/secrets */
  readonly resolveSecret?: SecretResolver;
  /** Key source for ES256/RS256. @default `createRemoteJWKSet(config.jwksUrl)` with the settings below */
  readonly jwks?: JWTVerifyGetKey;
  /** @default 1500 */
  readonly jwksTimeoutMs?: number;
  /** @default 600000 (10 min) */
  readonly jwksCacheMaxAgeMs?: number;
  /** Minimum time between JWKS reloads for an unknown `kid`. @default 30000 */
  readonly jwksCooldownMs?: number;
}

export interface TokenVerifier {
  /** Resolves the identity, or rejects with an `AuthError` (`unauthorized` or `unavailable`). */
  verify(token: string): Promise<Identity>;
}

/** jose failures that mean "this token is bad" (every other failure of a JWKS lookup is "unavailable"). */
const TOKEN_FAULTS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;

function reasonOf(error: unknown): string {
  const code = codeOf(error);
  const claim = (error as { claim?: unknown }).claim;
  if (code === 'ERR_JWT_EXPIRED') return 'expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && typeof claim === 'string') {
    const why = (error as { reason?: unknown }).reason === 'missing' ? 'missing' : 'check failed';
    return `${claim} claim ${why}`;
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'bad signature';
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'no key in the JWKS matches the token';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'algorithm not accepted';
  return 'malformed token';
}

/**
 * @example
 * const verifier = createTokenVerifier(loadAuthConfig()); // module scope
 * const identity = await verifier.verify(token);           // per request
 */
export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const { jwtSecret } = config;
  if (jwtSecret?.kind === 'value' && new TextEncoder().encode(jwtSecret.value).length < MIN_SECRET_BYTES) {
    throw new Error(`SUPABASE_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const resolve = options.resolveSecret ?? defaultResolveSecret;
  const jwks =
    options.jwks ??
    (config.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwksUrl), {
          timeoutDuration: options.jwksTimeoutMs ?? 1500,
          cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
        })
      : undefined);
  const claimChecks = {
    audience: config.audience,
    clockTolerance: config.clockToleranceS,
    requiredClaims: ['exp', 'sub'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
  };
  let hmacKey: Promise<Uint8Array> | undefined;

  function secretKey(): Promise<Uint8Array> {
    if (!jwtSecret) return Promise.reject(unauthorized('HS256 tokens are not accepted'));
    hmacKey ??= resolve(jwtSecret).then(
      (secret) => {
        const key = new TextEncoder().encode(secret);
        if (key.length < MIN_SECRET_BYTES) throw unavailable('the JWT secret is shorter than 32 bytes');
        return key;
      },
      (error: unknown) => {
        throw unavailable('the JWT secret could not be read', error);
      },
    );
    hmacKey.catch(() => (hmacKey = undefined));
    return hmacKey;
  }

  async function verifyWith(token: string, key: Uint8Array | JWTVerifyGetKey, algorithms: string[]): Promise<JWTPayload> {
    try {
      const options = { ...claimChecks, algorithms };
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return payload;
    } catch (error) {
      // No `cause` here: jose's claim errors carry the whole payload (`email` included), and loggers print causes.
      if (typeof key !== 'function' || TOKEN_FAULTS.has(codeOf(error) ?? '')) throw unauthorized(reasonOf(error));
      throw unavailable(codeOf(error) === 'ERR_JWKS_TIMEOUT' ? 'JWKS request timed out' : 'JWKS unreachable', error);
    }
  }

  return {
    async verify(token: string): Promise<Identity> {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) {
        throw unauthorized('malformed token');
      }
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw unauthorized('malformed token');
      }
      let payload: JWTPayload;
      if (alg === 'HS256') {
        payload = await verifyWith(token, await secretKey(), ['HS256']);
      } else if (typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.includes(alg)) {
        if (!jwks) throw unauthorized(`${alg} tokens are not accepted`);
        payload = await verifyWith(token, jwks, ASYMMETRIC_ALGORITHMS);
      } else {
        throw unauthorized('algorithm not accepted');
      }
      return identityFromClaims(payload);
    },
  };
}

