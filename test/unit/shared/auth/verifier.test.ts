import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { AuthError, createTokenVerifier, type TokenVerifierOptions } from '../../../../shared/auth';
import type { AuthConfig } from '../../../../shared/config';

const SECRET = 'unit-test-jwt-secret-that-is-long-enough';
const ISSUER = 'https://project.supabase.co/auth/v1';
const now = () => Math.floor(Date.now() / 1000);

type JwksMode = 'ok' | 'error' | 'hang';

interface Keys {
  ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
}

let keys: Keys;
let server: Server;
let jwksUrl: string;
let jwksMode: JwksMode = 'ok';
let jwksRequests = 0;
const hanging: (() => void)[] = [];

beforeAll(async () => {
  keys = {
    ec: await generateKeyPair('ES256', { extractable: true }),
    rsa: await generateKeyPair('RS256', { extractable: true }),
  };
  const jwks = {
    keys: [
      { ...(await exportJWK(keys.ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(keys.rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    ],
  };
  server = createServer((req, res) => {
    jwksRequests++;
    if (jwksMode === 'hang') {
      hanging.push(() => res.destroy());
      return;
    }
    if (jwksMode === 'error') {
      res.writeHead(503).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`;
});

afterAll(async () => {
  hanging.forEach((end) => end());
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  jwksMode = 'ok';
  jwksRequests = 0;
});

const baseConfig = (): AuthConfig => ({
  jwtSecret: { kind: 'value', value: SECRET },
  jwksUrl,
  audience: 'authenticated',
  clockToleranceS: 30,
});

const verifierFor = (config: Partial<AuthConfig> = {}, options: TokenVerifierOptions = {}) =>
  createTokenVerifier({ ...baseConfig(), ...config }, { jwksTimeoutMs: 300, ...options });

const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: 'user-1',
  aud: 'authenticated',
  role: 'authenticated',
  email: 'ann@example.org',
  iat: now(),
  exp: now() + 3600,
  app_metadata: { provider: 'email', org_id: 'org_A-1', staff_role: 'manager' },
  ...overrides,
});

type SignKey = Uint8Array | CryptoKey;
async function sign(payload: JWTPayload, alg = 'HS256', key: SignKey = new TextEncoder().encode(SECRET), kid?: string) {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
}
const signEc = (payload: JWTPayload, kid = 'ec-1') => sign(payload, 'ES256', keys.ec.privateKey, kid);

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected the token to be refused');
}

const expectUnauthorized = async (promise: Promise<unknown>, reason?: string | RegExp) => {
  const error = await refusal(promise);
  expect(error.kind).toBe('unauthorized');
  if (reason) expect(error.reason).toMatch(reason);
};

describe('createTokenVerifier', () => {
  describe('accepts', () => {
    it('a valid HS256 token and returns the identity', async () => {
      const token = await sign(claims({ exp: 2_000_000_000 }));
      await expect(verifierFor().verify(token)).resolves.toEqual({ userId: 'user-1', orgId: 'org_A-1', role: 'manager', tokenExp: 2_000_000_000 });
    });

    it('a valid ES256 token through the JWKS, by kid', async () => {
      const identity = await verifierFor().verify(await signEc(claims({ app_metadata: { org_id: 'o', staff_role: 'admin' } })));
      expect(identity).toMatchObject({ orgId: 'o', role: 'admin' });
    });

    it('a valid RS256 token through the JWKS', async () => {
      await expect(verifierFor().verify(await sign(claims(), 'RS256', keys.rsa.privateKey, 'rsa-1'))).resolves.toMatchObject({ userId: 'user-1' });
    });

    it('fetches the JWKS once for many tokens', async () => {
      const verifier = verifierFor();
      for (let i = 0; i < 3; i++) await verifier.verify(await signEc(claims()));
      expect(jwksRequests).toBe(1);
    });

    it('an aud list that contains authenticated', async () => {
      await expect(verifierFor().verify(await sign(claims({ aud: ['other', 'authenticated'] })))).resolves.toBeDefined();
    });

    it('the configured issuer', async () => {
      await expect(verifierFor({ issuer: ISSUER }).verify(await sign(claims({ iss: ISSUER })))).resolves.toBeDefined();
    });

    it('a token just expired or not yet valid, within the 30 s tolerance', async () => {
      await expect(verifierFor().verify(await sign(claims({ exp: now() - 10 })))).resolves.toBeDefined();
      await expect(verifierFor().verify(await sign(claims({ nbf: now() + 10 })))).resolves.toBeDefined();
    });

    it('a token without staff_role as a viewer', async () => {
      const token = await sign(claims({ app_metadata: { org_id: 'org-1' } }));
      await expect(verifierFor().verify(token)).resolves.toMatchObject({ role: 'viewer' });
    });

    it('a token limited to departments, sorted', async () => {
      const token = await sign(claims({ app_metadata: { org_id: 'org-1', departments: ['Ward', 'ICU'] } }));
      await expect(verifierFor().verify(token)).resolves.toMatchObject({ departments: ['ICU', 'Ward'] });
    });

    it('never hands back the email claim', async () => {
      const identity = await verifierFor().verify(await sign(claims()));
      expect(JSON.stringify(identity)).not.toContain('ann@example.org');
    });

    it('a secret given as an ARN, resolved once', async () => {
      const resolveSecret = jest.fn(async () => SECRET);
      const verifier = verifierFor({ jwtSecret: { kind: 'arn', arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' } }, { resolveSecret });
      await verifier.verify(await sign(claims()));
      await verifier.verify(await sign(claims()));
      expect(resolveSecret).toHaveBeenCalledTimes(1);
    });
  });

  describe('refuses as unauthorized', () => {
    it('an expired token', async () => {
      await expectUnauthorized(verifierFor().verify(await sign(claims({ exp: now() - 60 }))), 'expired');
    });

    it('a token whose nbf is beyond the tolerance', async () => {
      await expectUnauthorized(verifierFor().verify(await sign(claims({ nbf: now() + 120 }))), 'nbf claim check failed');
    });

    it('a token signed with another secret', async () => {
      const token = await sign(claims(), 'HS256', new TextEncoder().encode('another-secret-that-is-also-long-enough'));
      await expectUnauthorized(verifierFor().verify(token), 'bad signature');
    });

    it('a token for another audience, or none', async () => {
      await expectUnauthorized(verifierFor().verify(await sign(claims({ aud: 'anon' }))), 'aud claim check failed');
      await expectUnauthorized(verifierFor().verify(await sign(claims({ aud: undefined }))), /aud claim/);
    });

    it('a token from another issuer, or none, when one is configured', async () => {
      const verifier = verifierFor({ issuer: ISSUER });
      await expectUnauthorized(verifier.verify(await sign(claims({ iss: 'https://evil.example/auth/v1' }))), 'iss claim check failed');
      await expectUnauthorized(verifier.verify(await sign(claims())), /iss claim/);
    });

    it('an unsigned token (alg none)', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`;
      await expectUnauthorized(verifierFor().verify(token), 'algorithm not accepted');
    });

    it.each(['HS384', 'HS512', 'ES384', 'PS256', 'EdDSA'])('a token with alg %s', async (alg) => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      await expectUnauthorized(verifierFor().verify(`${encode({ alg })}.${encode(claims())}.c2ln`), 'algorithm not accepted');
    });

    it('an HS256 token signed with the RSA or EC public key (key confusion)', async () => {
      for (const publicKey of [keys.rsa.publicKey, keys.ec.publicKey]) {
        const pem = new TextEncoder().encode(await exportSPKI(publicKey));
        const jwk = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
        for (const confused of [pem, jwk]) {
          const token = await sign(claims(), 'HS256', confused, publicKey === keys.rsa.publicKey ? 'rsa-1' : 'ec-1');
          await expectUnauthorized(verifierFor().verify(token), 'bad signature');
          await expectUnauthorized(verifierFor({ jwtSecret: undefined }).verify(token), 'HS256 tokens are not accepted');
        }
      }
    });

    it('an RS256 header over an HMAC signature made with the secret', async () => {
      const hs = await sign(claims(), 'HS256', new TextEncoder().encode(SECRET), 'rsa-1');
      const [, payload, signature] = hs.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'rsa-1' })).toString('base64url');
      await expectUnauthorized(verifierFor().verify(`${header}.${payload}.${signature}`));
    });

    it('an ES256 token signed by a key that is not in the JWKS', async () => {
      const stranger = await generateKeyPair('ES256');
      await expectUnauthorized(verifierFor().verify(await sign(claims(), 'ES256', stranger.privateKey, 'ec-1')), 'bad signature');
    });

    it('an unknown kid, re-fetching the JWKS at most once per cool-down', async () => {
      const verifier = verifierFor();
      await verifier.verify(await signEc(claims()));
      for (let i = 0; i < 3; i++) {
        await expectUnauthorized(verifier.verify(await signEc(claims(), 'rotated-away')), 'no key in the JWKS matches the token');
      }
      expect(jwksRequests).toBeLessThanOrEqual(2);
    });

    it('an ES256 token when the JWKS is turned off', async () => {
      await expectUnauthorized(verifierFor({ jwksUrl: undefined }).verify(await signEc(claims())), 'ES256 tokens are not accepted');
    });

    it.each([
      ['empty', ''],
      ['one part', 'abc'],
      ['three junk parts', 'a.b.c'],
      ['five parts (JWE)', 'a.b.c.d.e'],
      ['empty parts', '..'],
      ['20 000 characters', 'x'.repeat(20_000)],
    ])('a malformed token: %s', async (_label, token) => {
      await expectUnauthorized(verifierFor().verify(token), 'malformed token');
    });

    it.each([
      ['no app_metadata', { app_metadata: undefined }, 'app_metadata.org_id missing'],
      ['no org_id', { app_metadata: { staff_role: 'admin' } }, 'app_metadata.org_id missing'],
      ['an empty org_id', { app_metadata: { org_id: '' } }, 'app_metadata.org_id malformed'],
      ['an org_id of 65 characters', { app_metadata: { org_id: 'a'.repeat(65) } }, 'app_metadata.org_id malformed'],
      ['an org_id with a slash', { app_metadata: { org_id: 'org/1' } }, 'app_metadata.org_id malformed'],
      ['a numeric org_id', { app_metadata: { org_id: 42 } }, 'app_metadata.org_id malformed'],
      ['an unknown staff_role', { app_metadata: { org_id: 'o', staff_role: 'owner' } }, 'app_metadata.staff_role is not admin, manager or viewer'],
      ['a capitalised staff_role', { app_metadata: { org_id: 'o', staff_role: 'Admin' } }, 'app_metadata.staff_role is not admin, manager or viewer'],
      ['a null staff_role', { app_metadata: { org_id: 'o', staff_role: null } }, 'app_metadata.staff_role is not admin, manager or viewer'],
      ['an org_id only in user_metadata', { user_metadata: { org_id: 'o' }, app_metadata: {} }, 'app_metadata.org_id missing'],
      ['departments that are not an array', { app_metadata: { org_id: 'o', departments: 'ICU' } }, 'app_metadata.departments malformed'],
      ['no department', { app_metadata: { org_id: 'o', departments: [] } }, 'app_metadata.departments malformed'],
      ['a department twice', { app_metadata: { org_id: 'o', departments: ['ICU', 'ICU'] } }, 'app_metadata.departments malformed'],
      ['an untrimmed department', { app_metadata: { org_id: 'o', departments: [' ICU'] } }, 'app_metadata.departments malformed'],
      ['a department of 101 characters', { app_metadata: { org_id: 'o', departments: ['d'.repeat(101)] } }, 'app_metadata.departments malformed'],
      ['no exp', { exp: undefined }, 'exp claim missing'],
      ['no sub', { sub: undefined }, 'sub claim missing'],
      ['an empty sub', { sub: '' }, 'sub claim missing or malformed'],
    ])('a token with %s', async (_label, overrides, reason) => {
      await expectUnauthorized(verifierFor().verify(await sign(claims(overrides as JWTPayload))), reason);
    });

    it('without the token or its claims in the error or its cause (loggers print both)', async () => {
      for (const token of [await sign(claims({ exp: now() - 60 })), await sign(claims({ aud: 'anon' }))]) {
        const error = await refusal(verifierFor().verify(token));
        const printed = `${error.message} ${JSON.stringify(error)} ${JSON.stringify({ ...(error.cause as object) })}`;
        expect(printed).not.toContain(token.split('.')[2]);
        expect(printed).not.toContain('ann@example.org');
        expect(error.cause).toBeUndefined();
      }
    });
  });

  describe('reports unavailable', () => {
    it('when the JWKS answers an error', async () => {
      jwksMode = 'error';
      expect((await refusal(verifierFor().verify(await signEc(claims())))).kind).toBe('unavailable');
    });

    it('when the JWKS does not answer in time', async () => {
      jwksMode = 'hang';
      const started = Date.now();
      const error = await refusal(verifierFor({}, { jwksTimeoutMs: 150 }).verify(await signEc(claims())));
      expect(error).toMatchObject({ kind: 'unavailable', reason: 'JWKS request timed out' });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('when the JWKS host refuses connections', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const verifier = verifierFor({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
      expect(await refusal(verifier.verify(await signEc(claims())))).toMatchObject({ kind: 'unavailable', reason: 'JWKS unreachable' });
    });

    it('when the JWT secret cannot be read, and retries later', async () => {
      const resolveSecret = jest.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(SECRET);
      const verifier = verifierFor({ jwtSecret: { kind: 'arn', arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' } }, { resolveSecret });
      const token = await sign(claims());
      expect((await refusal(verifier.verify(token))).kind).toBe('unavailable');
      await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'user-1' });
    });
  });

  it('refuses to start with a secret shorter than 32 bytes', () => {
    expect(() => createTokenVerifier({ ...baseConfig(), jwtSecret: { kind: 'value', value: 'short' } })).toThrow(/at least 32 bytes/);
  });
});
