/**
 * Token attacks at the handshake (issue 7) against a stage that accepts HS256 (its JWT secret)
 * and ES256 through a JWKS served by a local server, with JWT_ISSUER set: the JWKS down in five
 * ways before its first fetch (500, nothing written), then the attack catalogue under both
 * algorithms (key confusion, alg none, expired, nbf, wrong secret/key/aud/iss, unknown kid,
 * missing or malformed org, unknown role, truncated, garbage, oversized), a valid token of one
 * org against another org's ids, and no token or e-mail in any line the process printed.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createTokenVerifier } from '../../shared/auth';
import { loadAuthConfig } from '../../shared/config';
import { TestClient, handshakeStatus } from '../e2e/support/client';
import { startInProcessStage, type InProcessStage } from './support/fuzz-stage';
import { startJwksServer, type JwksMode, type JwksServer } from './support/jwks-server';
import { attackReport, captureOutput, linesWithSecrets, runAttacks, strayRecords } from './support/jwks-suite';
import { attackCatalogue, es256, hs256, sign, validClaims, type TokenContext } from './support/jwks-tokens';
import { crossOrgProbe } from './support/tenancy-probe';

const ISSUER = 'https://staff-sync-test.supabase.co/auth/v1';

describe('token attacks at the handshake: HS256 and ES256 through a JWKS', () => {
  const output = captureOutput();
  const tokens: string[] = [];
  const emails: string[] = [];
  const acceptedOrgs = new Set<string>();
  let jwks: JwksServer;
  let stage: InProcessStage;
  let ctx: TokenContext;

  /** A valid token of a fresh `ok-` org (its handshake may be accepted, so its record is allowed). */
  async function validToken(alg: 'HS256' | 'ES256', options: { ttl?: number; role?: string } = {}): Promise<{ token: string; orgId: string }> {
    const orgId = `ok-${randomUUID().slice(0, 8)}`;
    acceptedOrgs.add(orgId);
    const claims = validClaims(ctx, { orgId, ...(options.role ? { role: options.role } : {}), ...(options.ttl ? { ttl: options.ttl } : {}) });
    const token = alg === 'HS256' ? await hs256(ctx, claims) : await es256(ctx, claims);
    tokens.push(token);
    emails.push(claims.email as string);
    return { token, orgId };
  }

  beforeAll(async () => {
    jwks = await startJwksServer();
    await jwks.setMode('closed');
    stage = await startInProcessStage({ env: { JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    process.env.STAGE_WS_URL = stage.websocketUrl;
    ctx = { secret: stage.jwtSecret, issuer: ISSUER, key: jwks.key };
  }, 60_000);

  afterAll(async () => {
    await stage?.close();
    await jwks?.close();
    output.restore();
  });

  it('answers 500 and writes nothing while the JWKS is unreachable, and keeps accepting HS256', async () => {
    const seen: string[] = [];
    for (const mode of ['closed', 'reset', '503', 'garbage', 'hang'] as JwksMode[]) {
      await jwks.setMode(mode);
      const { token, orgId } = await validToken('ES256');
      acceptedOrgs.delete(orgId);
      const started = Date.now();
      const status = await handshakeStatus(token);
      seen.push(`${mode} → HTTP ${status} in ${Date.now() - started} ms`);
      expect([mode, status]).toEqual([mode, 500]);
      expect(await stage.connectionRecords(orgId)).toEqual([]);
      expect(await handshakeStatus((await validToken('HS256')).token)).toBe(101);
    }
    console.log(`JWKS unreachable before its first fetch (${jwks.requests()} requests reached it): ${seen.join('; ')}`);
    await jwks.setMode('up');
  }, 30_000);

  it('accepts valid HS256 and ES256 tokens, and one expired within the 30 s clock tolerance', async () => {
    expect(await handshakeStatus((await validToken('ES256')).token)).toBe(101);
    expect(await handshakeStatus((await validToken('HS256')).token)).toBe(101);
    const late = validClaims(ctx, { orgId: `ok-${randomUUID().slice(0, 8)}`, ttl: -10 });
    acceptedOrgs.add((late.app_metadata as { org_id: string }).org_id);
    const lateToken = await es256(ctx, late);
    tokens.push(lateToken);
    expect(await handshakeStatus(lateToken)).toBe(101);
  });

  it('refuses every attack with the status the protocol gives and writes no connection record for it', async () => {
    const attacks = await attackCatalogue(ctx);
    tokens.push(...attacks.map((attack) => attack.token));

    const results = await runAttacks(attacks);

    console.log(attackReport('token attacks against HS256 + ES256 (JWKS) + JWT_ISSUER', results));
    expect(results.filter((result) => !result.ok).map((r) => `${r.attack.name}: ${r.status}`)).toEqual([]);
    expect(results.filter((result) => result.status === 101)).toEqual([]);
    expect(await strayRecords(stage, acceptedOrgs)).toEqual([]);
  }, 60_000);

  it('verifies only the token query parameter, as sent: no other place, prefix or padding', async () => {
    const valid = await validToken('ES256');
    const garbage = 'garbage.garbage.garbage';
    const status = (query: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(`${stage.websocketUrl}${query}`, { headers });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        socket.once('error', () => resolve(0));
      });
    const t = encodeURIComponent(valid.token);

    const results = {
      'access_token instead of token': await status(`?access_token=${t}`),
      'Token (another case)': await status(`?Token=${t}`),
      'an Authorization header only': await status('', { authorization: `Bearer ${valid.token}` }),
      'a Bearer prefix': await status(`?token=Bearer%20${t}`),
      'a leading space': await status(`?token=%20${t}`),
      'a trailing newline': await status(`?token=${t}%0A`),
      'garbage, then the valid token (the last one counts)': await status(`?token=${garbage}&token=${t}`),
      'the valid token, then garbage': await status(`?token=${t}&token=${garbage}`),
    };

    console.log(`token placement: ${Object.entries(results).map(([what, code]) => `${what} → HTTP ${code}`).join('; ')}`);
    expect(results).toEqual({
      'access_token instead of token': 401,
      'Token (another case)': 401,
      'an Authorization header only': 401,
      'a Bearer prefix': 401,
      'a leading space': 401,
      'a trailing newline': 401,
      'garbage, then the valid token (the last one counts)': 101,
      'the valid token, then garbage': 401,
    });
  });

  it('bounds the connection record by 2 hours in epoch seconds whatever the token exp says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lines: string[] = [];
    for (const [what, exp] of [['exp in the year 3000', 32503680000], ['exp 1e20', 1e20], ['a fractional exp', now + 600.75]] as const) {
      const orgId = `ok-${randomUUID().slice(0, 8)}`;
      acceptedOrgs.add(orgId);
      const token = await es256(ctx, { ...validClaims(ctx, { orgId }), exp });
      tokens.push(token);
      const client = await TestClient.connect({ token });
      try {
        const [record] = (await stage.connectionRecords(orgId)) as unknown as Array<{ expiresAt: number; connectedAt: number }>;
        lines.push(`${what} → expiresAt connect + ${record!.expiresAt - Math.ceil(record!.connectedAt / 1000)} s`);
        expect(Number.isInteger(record!.expiresAt)).toBe(true);
        expect(record!.expiresAt).toBeLessThanOrEqual(Math.ceil(record!.connectedAt / 1000) + 2 * 3600 + 300);
        expect(record!.expiresAt).toBeGreaterThan(now);
        expect((await client.request({ type: 'PING' })).type).toBe('PONG');
      } finally {
        client.close();
      }
    }
    console.log(`connection records of far-future tokens: ${lines.join('; ')}`);
  });

  it('never lets the JWKS choose the algorithm: a JWKS-only verifier refuses HS256 signed with the public key', async () => {
    const verifier = createTokenVerifier(loadAuthConfig({ JWKS_URL: jwks.url, SUPABASE_URL: 'http://127.0.0.1:9' }));
    const claims = validClaims(ctx);
    const forged = await sign({ alg: 'HS256', typ: 'JWT', kid: jwks.key.kid }, claims, { kind: 'hmac', key: jwks.key.publicPem });
    tokens.push(forged);

    await expect(verifier.verify(forged)).rejects.toMatchObject({ kind: 'unauthorized' });
    await expect(verifier.verify(await es256(ctx, claims))).resolves.toMatchObject({ orgId: (claims.app_metadata as { org_id: string }).org_id });
  });

  it('keeps serving a known kid from its key cache while the JWKS is down, and refuses an unknown one', async () => {
    await jwks.setMode('closed');
    const known = await validToken('ES256');
    const unknown = await es256(ctx, validClaims(ctx), { kid: 'rotated-away' });
    tokens.push(unknown);

    const knownStatus = await handshakeStatus(known.token);
    const unknownStatus = await handshakeStatus(unknown);

    console.log(`JWKS down with a warm cache: known kid → HTTP ${knownStatus}, unknown kid → HTTP ${unknownStatus}`);
    expect(knownStatus).toBe(101);
    expect([401, 500]).toContain(unknownStatus);
    await jwks.setMode('up');
  });

  it("answers a valid token of one org with NOT_FOUND for another org's ids, for read and write alike", async () => {
    const a = await validToken('HS256');
    const b = await validToken('ES256');
    const clientA = await TestClient.connect({ token: a.token });
    const clientB = await TestClient.connect({ token: b.token });
    try {
      const figures = await crossOrgProbe(clientA, clientB, a.orgId, b.orgId);
      console.log(`valid HS256 token of org A against org B's ids (B on ES256): ${figures}`);
    } finally {
      clientA.close();
      clientB.close();
    }
  });

  it('ignores a staff_role in user_metadata (user-editable): that token is a viewer', async () => {
    const orgId = `ok-${randomUUID().slice(0, 8)}`;
    acceptedOrgs.add(orgId);
    const claims = validClaims(ctx, { orgId, role: null });
    claims.user_metadata = { staff_role: 'admin', org_id: 'someone-else' };
    const token = await hs256(ctx, claims);
    tokens.push(token);
    const client = await TestClient.connect({ token });
    try {
      const reply = await client.request({ type: 'STAFF_CREATE', payload: { staff: { name: 'escalation' } } });
      expect(reply).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
    } finally {
      client.close();
    }
  });

  it('prints no token, token segment or e-mail claim in any line of the run', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const text = [output.text(), ...stage.stageLog].join('\n');

    const leaks = linesWithSecrets(text, tokens, emails);

    console.log(`log hygiene: ${text.split('\n').length} lines captured, ${tokens.length} tokens and ${emails.length} e-mail claims looked for, ${leaks.length} found`);
    expect(text).toContain('handshake refused');
    expect(leaks).toEqual([]);
  });
});
