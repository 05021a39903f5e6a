/**
 * HS256 JWTs as PostgREST checks them (legacy Supabase keys and local user tokens): three parts,
 * `alg` HS256, the signature, then `exp`/`nbf`/`iat` with PostgREST's 30 s of allowed skew. Each
 * refusal carries PostgREST's code and message (PGRST301 decode errors, PGRST303 claims errors).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ALLOWED_SKEW_SECONDS = 30;

export type JwtClaims = Record<string, unknown>;

export interface JwtRefusal {
  readonly code: 'PGRST301' | 'PGRST303';
  readonly message: string;
}

export type JwtResult = { readonly ok: true; readonly claims: JwtClaims } | { readonly ok: false; readonly refusal: JwtRefusal };

const b64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

const sign = (data: string, secret: string): Buffer => createHmac('sha256', secret).update(data).digest();

export function signHs256(claims: JwtClaims, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(sign(`${head}.${body}`, secret))}`;
}

const parseJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const refuse = (code: JwtRefusal['code'], message: string): JwtResult => ({ ok: false, refusal: { code, message } });

function checkTimes(claims: JwtClaims, nowSeconds: number): JwtResult {
  const { exp, nbf, iat } = claims;
  if (exp !== undefined && typeof exp !== 'number') return refuse('PGRST303', "The JWT 'exp' claim must be a number");
  if (nbf !== undefined && typeof nbf !== 'number') return refuse('PGRST303', "The JWT 'nbf' claim must be a number");
  if (iat !== undefined && typeof iat !== 'number') return refuse('PGRST303', "The JWT 'iat' claim must be a number");
  if (typeof exp === 'number' && nowSeconds - ALLOWED_SKEW_SECONDS > exp) return refuse('PGRST303', 'JWT expired');
  if (typeof nbf === 'number' && nowSeconds + ALLOWED_SKEW_SECONDS < nbf) return refuse('PGRST303', 'JWT not yet valid');
  if (typeof iat === 'number' && nowSeconds + ALLOWED_SKEW_SECONDS < iat) return refuse('PGRST303', 'JWT issued at future');
  return { ok: true, claims };
}

/** Looks like a JWT at all (three dot-separated parts)? */
export const isJwtShaped = (token: string): boolean => token.split('.').length === 3;

export function verifyHs256(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtResult {
  if (token === '') return refuse('PGRST301', 'Empty JWT is sent in Authorization header');
  const parts = token.split('.');
  if (parts.length !== 3) return refuse('PGRST301', `Expected 3 parts in JWT; got ${parts.length}`);
  const [head, body, signature] = parts as [string, string, string];
  const header = parseJson(head);
  const claims = parseJson(body);
  if (!header || !claims) return refuse('PGRST301', "JWT couldn't be decoded");
  if (header.alg !== 'HS256') return refuse('PGRST301', 'Wrong or unsupported encoding algorithm');
  const expected = sign(`${head}.${body}`, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('PGRST301', 'JWT cryptographic operation failed');
  }
  return checkTimes(claims, nowSeconds);
}
