import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { TestClient, handshakeStatus } from './support/client';
import { connectionIdsOf } from './support/connections';
import { logLinesWithTokens } from './support/hygiene';
import { itLocal, newOrgId, signToken, tokenFor } from './support/stage';

const orgId = newOrgId();
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const recordsOf = async (org: string): Promise<number> => (await connectionIdsOf(org)).length;

describe('handshake (docs/protocol.md §2)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = { app_metadata: { org_id: orgId, staff_role: 'manager' } };

  const refused: Array<[string, () => Promise<string | undefined>, number]> = [
    ['a missing token', async () => undefined, 401],
    ['an empty token', async () => '', 401],
    ['garbage', async () => 'not-a-jwt', 401],
    ['a truncated token', async () => (await tokenFor({ orgId })).slice(0, -10), 401],
    ['an expired token', async () => signToken(claims, { expiresInSeconds: -120 }), 401],
    ['a token not valid before a future time', async () => new SignJWT({ ...claims, role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID()).setAudience('authenticated').setNotBefore(now() + 600).setExpirationTime(now() + 3600).sign(new TextEncoder().encode(process.env.STAGE_JWT_SECRET!)), 401],
    ['a wrong signature', async () => signToken(claims, { secret: 'another-secret-that-is-long-enough-000' }), 401],
    ['alg none', async () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, sub: 'x', aud: 'authenticated', exp: now() + 3600 })}.`, 401],
    ['a wrong audience', async () => signToken(claims, { audience: 'anon' }), 401],
    ['no audience', async () => signToken(claims, { audience: null }), 401],
    ['a missing org id', async () => signToken({ app_metadata: { staff_role: 'manager' } }), 401],
    ['a malformed org id', async () => signToken({ app_metadata: { org_id: 'bad org!', staff_role: 'manager' } }), 401],
    ['an unknown role', async () => signToken({ app_metadata: { org_id: orgId, staff_role: 'owner' } }), 401],
    ['an RS256 token signed with a key the stage does not know', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return new SignJWT({ ...claims, role: 'authenticated' }).setProtectedHeader({ alg: 'RS256', kid: 'unknown-kid' }).setSubject(randomUUID()).setAudience('authenticated').setExpirationTime(now() + 3600).sign(privateKey);
    }, 401],
    ['an oversized token', async () => signToken({ ...claims, padding: 'x'.repeat(9000) }), 401],
  ];

  it.each(refused)('refuses %s', async (_name, makeToken, status) => {
    expect(await handshakeStatus(await makeToken())).toBe(status);
  });

  itLocal('writes no connection record for any refused handshake', async () => {
    for (const [, makeToken] of refused) await handshakeStatus(await makeToken());

    expect(await recordsOf(orgId)).toBe(0);
  });

  itLocal('writes one connection record for an accepted handshake and removes it on close', async () => {
    const org = newOrgId();
    const client = await TestClient.connect({ orgId: org });
    expect(await recordsOf(org)).toBe(1);

    client.close();
    await client.waitClosed();
    for (let i = 0; i < 50 && (await recordsOf(org)) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await recordsOf(org)).toBe(0);
  });

  it('accepts a viewer and a token without a role (viewer)', async () => {
    const viewer = await TestClient.connect({ token: await signToken({ app_metadata: { org_id: orgId } }) });
    const pong = await viewer.request({ type: 'PING' });
    expect(pong.type).toBe('PONG');
    viewer.close();
  });

  it.each([
    ['a PING', JSON.stringify({ type: 'PING', requestId: 'after-exp' })],
    ['a malformed frame', '{"type":'],
  ])('answers %s after the token expired with TOKEN_EXPIRED and closes the socket', async (_name, frame) => {
    const client = await TestClient.connect({ token: await signToken({ app_metadata: { org_id: orgId, staff_role: 'manager' } }, { expiresInSeconds: 2 }) });
    await new Promise((resolve) => setTimeout(resolve, 2100));

    client.send(frame);

    expect(await client.nextFrame()).toMatchObject({ type: 'ERROR', code: 'TOKEN_EXPIRED' });
    expect((await client.waitClosed()).code).toBeGreaterThanOrEqual(1000);
  });

  afterAll(() => {
    expect(logLinesWithTokens()).toEqual([]);
  });
});

