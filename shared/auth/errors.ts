/**
 * Why a token was not turned into an identity. `unauthorized`: the token itself is bad (the
 * authorizer answers 401). `unavailable`: we could not check it (JWKS or secret unreachable;
 * the authorizer answers 500). `reason` is short and safe to log: it never holds the token.
 */
export type AuthFailureKind = 'unauthorized' | 'unavailable';

export class AuthError extends Error {
  readonly kind: AuthFailureKind;
  readonly reason: string;

  constructor(kind: AuthFailureKind, reason: string, options?: { cause?: unknown }) {
    super(kind === 'unauthorized' ? `token refused: ${reason}` : `token could not be verified: ${reason}`, options);
    this.name = 'AuthError';
    this.kind = kind;
    this.reason = reason;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, reason: this.reason };
  }
}

export const unauthorized = (reason: string, cause?: unknown): AuthError =>
  new AuthError('unauthorized', reason, cause === undefined ? undefined : { cause });

export const unavailable = (reason: string, cause?: unknown): AuthError =>
  new AuthError('unavailable', reason, cause === undefined ? undefined : { cause });

/** The token could not be checked (→ 500), as opposed to being bad (→ 401). */
export const isAuthUnavailable = (error: unknown): boolean => error instanceof AuthError && error.kind === 'unavailable';

