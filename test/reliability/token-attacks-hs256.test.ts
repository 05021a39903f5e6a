/**
 * Token attacks at the handshake (issue 7) against the local stage's own setting: HS256 with its
 * JWT secret only (JWKS_URL=none, no JWT_ISSUER). Asymmetric tokens are refused outright, every
 * HS256 attack gets 401 (or a 4xx from the HTTP server when too large), a valid token of one org
 * gets NOT_FOUND for another org's ids, and no line of the run holds a token or its e-mail.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { TestClient, handshakeStatus } from '../e2e/support/client';
import { startInProcessStage, type InProcessStage } from './support/fuzz-stage';
import { newSigningKey } from './support/jwks-server';
import { attackReport, captureOutput, linesWithSecrets, runAttacks, strayRecords } from './support/jwks-suite';
import { attackCatalogue, attackOrg, es256, hs256, sign, validClaims, type Attack, type TokenContext } from './support/jwks-tokens';
import { crossOrgProbe } from './support/tenancy-probe';

describe('token attacks at the handshake: HS256 only (the local stage default)', () => {
  const output = captureOutput();
  const tokens: string[] = [];
  const emails: string[] = [];
  const acceptedOrgs = new Set<string>();
  let stage: InProcessStage;
  let ctx: TokenContext;

  async function validToken(): Promise<{ token: string; orgId: string }> {
    const orgId = `ok-${randomUUID().slice(0, 8)}`;
    acceptedOrgs.add(orgId);
    const claims = validClaims(ctx, { orgId });
    const token = await hs256(ctx, claims);
    tokens.push(token);
    emails.push(claims.email as string);
    return { token, orgId };
  }

  beforeAll(async () => {
    stage = await startInProcessStage({ env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    process.env.STAGE_WS_URL = stage.websocketUrl;
    ctx = { secret: stage.jwtSecret };
  }, 60_000);

  afterAll(async () => {
    await stage?.close();
    output.restore();
  });

  it('accepts a valid HS256 token', async () => {
    expect(await handshakeStatus((await validToken()).token)).toBe(101);
  });

  it('refuses every attack, and every asymmetric token, and writes no connection record', async () => {
    const key = await newSigningKey('some-kid');
    const { privateKey: rsa } = await generateKeyPair('RS256');
    const asymmetric: Attack[] = [];
    for (const [name, make] of [
      ['ES256 from a key the stage cannot know', async () => es256(ctx, validClaims(ctx, { orgId: attackOrg() }), {}, key)],
      ['RS256 from a key the stage cannot know', async () => sign({ alg: 'RS256', kid: 'r1' }, validClaims(ctx), { kind: 'raw', signature: 'c2ln' })],
      ['RS256 signed for real', async () => {
        const { SignJWT } = await import('jose');
        return new SignJWT(validClaims(ctx)).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).sign(rsa);
      }],
      ['HS256 signed with an ES256 public key', async () => sign({ alg: 'HS256', kid: key.kid }, validClaims(ctx), { kind: 'hmac', key: key.publicPem })],
    ] as const) {
      asymmetric.push({ name, family: 'no JWKS here', token: await make(), expect: 401 });
    }
    const attacks = [...(await attackCatalogue(ctx)), ...asymmetric];
    tokens.push(...attacks.map((attack) => attack.token));

    const results = await runAttacks(attacks);

    console.log(attackReport('token attacks against HS256 only (JWKS_URL=none)', results));
    expect(results.filter((result) => !result.ok).map((r) => `${r.attack.name}: ${r.status}`)).toEqual([]);
    expect(await strayRecords(stage, acceptedOrgs)).toEqual([]);
  }, 60_000);

  it("answers a valid token of one org with NOT_FOUND for another org's ids, for read and write alike", async () => {
    const a = await TestClient.connect({ token: (await validToken()).token });
    const bToken = await validToken();
    const b = await TestClient.connect({ token: bToken.token });
    try {
      console.log(`valid HS256 token of org A against org B's ids: ${await crossOrgProbe(a, b, 'A', bToken.orgId)}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('prints no token, token segment or e-mail claim in any line of the run', async () => {
    const text = [output.text(), ...stage.stageLog].join('\n');

    const leaks = linesWithSecrets(text, tokens, emails);

    console.log(`log hygiene: ${text.split('\n').length} lines captured, ${tokens.length} tokens and ${emails.length} e-mail claims looked for, ${leaks.length} found`);
    expect(text).toContain('handshake refused');
    expect(leaks).toEqual([]);
  });
});
