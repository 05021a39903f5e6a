/** Token verification: `createTokenVerifier` → `verify(token)` → `Identity`, or an `AuthError`. */
export { createTokenVerifier, MIN_SECRET_BYTES, type TokenVerifier, type TokenVerifierOptions } from './verifier';
export { identityFromClaims, ORG_ID_PATTERN, type Identity } from './claims';
export {
  AuthError,
  isAuthUnavailable,
  unauthorized,
  unavailable,
  type AuthFailureKind,
} from './errors';
