import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createTokenVerifier } from '../../../../shared/auth';
import { LOCAL_JWT_SECRET_DEFAULT, mintLocalToken } from '../../../../infra/local/tokens';

const verifierWith = (secret = LOCAL_JWT_SECRET_DEFAULT, issuer?: string) =>
  createTokenVerifier({
    jwtSecret: { kind: 'value', value: secret },
    audience: 'authenticated',
    clockToleranceS: 30,
    ...(issuer ? { issuer } : {}),
  });

describe('mintLocalToken', () => {
  it('mints an HS256 token the verifier accepts with the default local secret', async () => {
    const token = await mintLocalToken({ orgId: 'demo', role: 'manager', sub: 'demo-manager' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    await expect(verifierWith().verify(token)).resolves.toMatchObject({ userId: 'demo-manager', orgId: 'demo', role: 'manager' });
  });

  it('shapes the claims like a Supabase access token', async () => {
    const claims = decodeJwt(await mintLocalToken({ orgId: 'o1', role: 'viewer', now: new Date('2024-01-01T00:00:00Z') }));
    expect(claims).toMatchObject({
      aud: 'authenticated',
      role: 'authenticated',
      iat: 1704067200,
      exp: 1704067200 + 24 * 3600,
      app_metadata: { org_id: 'o1', staff_role: 'viewer' },
    });
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims).not.toHaveProperty('iss');
  });

  it('uses the given secret, lifetime and issuer', async () => {
    const secret = 'another-local-secret-of-enough-length!';
    const token = await mintLocalToken({ orgId: 'o', role: 'admin', secret, expiresInSeconds: 60, issuer: 'http://localhost/auth/v1' });
    const claims = decodeJwt(token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
    await expect(verifierWith(secret, 'http://localhost/auth/v1').verify(token)).resolves.toMatchObject({ role: 'admin' });
    await expect(verifierWith().verify(token)).rejects.toMatchObject({ kind: 'unauthorized' });
  });

  it.each([
    [{ orgId: 'bad org', role: 'manager' }, /orgId/],
    [{ orgId: 'o', role: 'owner' }, /role/],
    [{ orgId: 'o', role: 'viewer', expiresInSeconds: 0 }, /expiresInSeconds/],
    [{ orgId: 'o', role: 'viewer', sub: '' }, /sub/],
  ])('refuses %p', async (options, message) => {
    await expect(mintLocalToken(options as never)).rejects.toThrow(message);
  });
});
