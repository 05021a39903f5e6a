/**
 * Forged and valid access tokens for the handshake attacks: any header, any claims, signed with
 * the stage's HS256 secret, an ES256 key (the JWKS one or an attacker's), an HMAC over the public
 * key (key confusion), or nothing at all (`alg: none`). Every token gets its own org id, so the
 * suite can prove per attack that no connection record was written.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { CompactSign, type CryptoKey } from 'jose';
import { newSigningKey, type SigningKey } from './jwks-server';

export type Signer =
  | { readonly kind: 'hmac'; readonly key: string | Uint8Array }
  | { readonly kind: 'ecdsa'; readonly key: CryptoKey }
  | { readonly kind: 'none' }
  | { readonly kind: 'raw'; readonly signature: string };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export async function sign(header: Record<string, unknown>, payload: Record<string, unknown> | string, signer: Signer): Promise<string> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  if (signer.kind === 'ecdsa') return new CompactSign(new TextEncoder().encode(body)).setProtectedHeader(header as { alg: string }).sign(signer.key);
  const input = `${b64(header)}.${b64(body)}`;
  if (signer.kind === 'none') return `${input}.`;
  if (signer.kind === 'raw') return `${input}.${signer.signature}`;
  return `${input}.${createHmac('sha256', signer.key).update(input).digest('base64url')}`;
}

/** An org id of the attack run, unique per token. */
export const attackOrg = (): string => `ta-${randomBytes(5).toString('hex')}`;

export interface TokenContext {
  readonly secret: string;
  /** JWT_ISSUER of the stage, when it checks one. */
  readonly issuer?: string;
  /** The JWKS's signing key, when the stage has a JWKS. */
  readonly key?: SigningKey;
}

export interface ClaimsOptions {
  readonly orgId?: string;
  /** `staff_role`; null leaves it out (a viewer). @default 'manager' */
  readonly role?: unknown;
  readonly ttl?: number;
}

/** The claims of a valid Supabase access token for the stage (an `email` the logs must never show). */
export function validClaims(ctx: TokenContext, { orgId = attackOrg(), role = 'manager', ttl = 3600 }: ClaimsOptions = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: randomUUID(),
    aud: 'authenticated',
    role: 'authenticated',
    iat: now,
    exp: now + ttl,
    ...(ctx.issuer ? { iss: ctx.issuer } : {}),
    email: `leak-check-${randomBytes(6).toString('hex')}@example.test`,
    app_metadata: { provider: 'email', org_id: orgId, ...(role === null ? {} : { staff_role: role }) },
    user_metadata: {},
  };
}

export const hs256 = (ctx: TokenContext, claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  sign({ alg: 'HS256', typ: 'JWT', ...header }, claims, { kind: 'hmac', key: ctx.secret });

export const es256 = (ctx: TokenContext, claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: SigningKey | undefined = ctx.key) =>
  sign({ alg: 'ES256', typ: 'JWT', kid: key!.kid, ...header }, claims, { kind: 'ecdsa', key: key!.privateKey });

export interface Attack {
  readonly name: string;
  /** HS256, ES256, or the token's shape when it has no usable algorithm. */
  readonly family: string;
  readonly token: string;
  /** The org the token names (when it names one), whose connection records must stay at 0. */
  readonly orgId?: string;
  /** The handshake status of docs/protocol.md §2.1; `refused` = any 4xx (too large for the HTTP server). */
  readonly expect: number | 'refused';
}

type Make = (claims: Record<string, unknown>) => Promise<string>;

/** The attacks for one algorithm: each a valid token with one thing wrong. */
async function claimAttacks(ctx: TokenContext, family: string, make: Make): Promise<Attack[]> {
  const list: Attack[] = [];
  const add = async (name: string, mutate: (claims: Record<string, unknown>) => Record<string, unknown>, expect: number | 'refused' = 401) => {
    const claims = mutate(validClaims(ctx));
    const orgId = (claims.app_metadata as { org_id?: unknown } | undefined)?.org_id;
    list.push({ name, family, token: await make(claims), ...(typeof orgId === 'string' ? { orgId } : {}), expect });
  };
  const now = Math.floor(Date.now() / 1000);
  const appMeta = (claims: Record<string, unknown>, patch: Record<string, unknown>) => ({ ...claims, app_metadata: { ...(claims.app_metadata as object), ...patch } });
  const without = (claims: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(claims).filter(([k]) => k !== key));

  await add('expired an hour ago', (c) => ({ ...c, exp: now - 3600 }));
  await add('expired past the 30 s tolerance', (c) => ({ ...c, exp: now - 120 }));
  await add('nbf an hour ahead', (c) => ({ ...c, nbf: now + 3600 }));
  await add('nbf past the tolerance', (c) => ({ ...c, nbf: now + 300 }));
  await add('no exp', (c) => without(c, 'exp'));
  await add('exp as a string', (c) => ({ ...c, exp: String(now + 3600) }));
  await add('aud anon', (c) => ({ ...c, aud: 'anon' }));
  await add('aud Authenticated', (c) => ({ ...c, aud: 'Authenticated' }));
  await add('aud of another service', (c) => ({ ...c, aud: ['other-service'] }));
  await add('no aud', (c) => without(c, 'aud'));
  if (ctx.issuer) {
    await add('iss of another project', (c) => ({ ...c, iss: 'https://evil.example/auth/v1' }));
    await add('iss with a trailing slash', (c) => ({ ...c, iss: `${ctx.issuer}/` }));
    await add('no iss', (c) => without(c, 'iss'));
  }
  await add('no sub', (c) => without(c, 'sub'));
  await add('empty sub', (c) => ({ ...c, sub: '' }));
  await add('sub over 255 chars', (c) => ({ ...c, sub: 'u'.repeat(256) }));
  await add('sub a number', (c) => ({ ...c, sub: 42 }));
  await add('no app_metadata', (c) => without(c, 'app_metadata'));
  await add('app_metadata not an object', (c) => ({ ...c, app_metadata: 'org' }));
  await add('no org_id', (c) => ({ ...c, app_metadata: { staff_role: 'manager' } }));
  await add('org_id only at the top level', (c) => ({ ...c, org_id: attackOrg(), app_metadata: { staff_role: 'manager' } }));
  await add('org_id only in user_metadata (user-editable)', (c) => ({ ...c, user_metadata: { org_id: attackOrg() }, app_metadata: { staff_role: 'manager' } }));
  for (const org of ['', ' ', 'a b', 'a/b', '../x', 'o'.repeat(65), 'ünï', 'org\u0000', 'org.dot', "o'; drop table staff;--"]) {
    await add(`org_id ${JSON.stringify(org).slice(0, 24)}`, (c) => appMeta(c, { org_id: org }));
  }
  for (const org of [42, null, true, ['a'], { id: 'a' }]) await add(`org_id ${JSON.stringify(org)}`, (c) => appMeta(c, { org_id: org }));
  for (const role of ['owner', 'ADMIN', 'Admin', '', 'service_role', 'authenticated', 'superuser', 42, null, ['admin'], { admin: true }]) {
    await add(`staff_role ${JSON.stringify(role)}`, (c) => appMeta(c, { staff_role: role }));
  }
  await add('a service_role key shape (no sub, no org)', (c) => ({ role: 'service_role', iss: c.iss, iat: c.iat, exp: c.exp }));
  await add('an anon key shape', (c) => ({ role: 'anon', iss: c.iss, iat: c.iat, exp: c.exp, aud: 'authenticated' }));
  return list;
}

/** Tokens whose shape or signature is wrong, whatever their claims. */
async function shapeAttacks(ctx: TokenContext): Promise<Attack[]> {
  const list: Attack[] = [];
  const claims = () => validClaims(ctx);
  const org = (c: Record<string, unknown>) => (c.app_metadata as { org_id: string }).org_id;
  const push = (name: string, family: string, token: string, c?: Record<string, unknown>, expect: number | 'refused' = 401) =>
    list.push({ name, family, token, ...(c ? { orgId: org(c) } : {}), expect });

  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const c = claims();
    push(`alg ${alg}, no signature`, 'alg none', await sign({ alg, typ: 'JWT' }, c, { kind: 'none' }), c);
  }
  {
    const c = claims();
    const stolen = (await hs256(ctx, claims())).split('.')[2]!;
    push('alg none with a signature from another token', 'alg none', await sign({ alg: 'none' }, c, { kind: 'raw', signature: stolen }), c);
  }
  {
    const c = claims();
    push('wrong HS256 secret', 'HS256', await sign({ alg: 'HS256', typ: 'JWT' }, c, { kind: 'hmac', key: 'another-secret-that-is-long-enough-0000' }), c);
  }
  {
    const c = claims();
    push('HS256 with an empty secret', 'HS256', await sign({ alg: 'HS256', typ: 'JWT' }, c, { kind: 'hmac', key: '' }), c);
  }
  for (const alg of ['HS384', 'HS512', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA']) {
    const c = claims();
    push(`alg ${alg} with an HMAC of the stage secret`, 'other algorithms', await sign({ alg, typ: 'JWT' }, c, { kind: 'hmac', key: ctx.secret }), c);
  }
  const valid = await hs256(ctx, claims());
  const [h, p, s] = valid.split('.') as [string, string, string];
  push('signature cut off', 'truncated', `${h}.${p}.`);
  push('last character cut', 'truncated', valid.slice(0, -1));
  push('half a token', 'truncated', valid.slice(0, Math.floor(valid.length / 2)));
  push('two segments', 'truncated', `${h}.${p}`);
  push('four segments', 'truncated', `${valid}.${s}`);
  {
    const c = claims();
    const other = (await hs256(ctx, c)).split('.')[1]!;
    push('payload swapped under a valid signature', 'truncated', `${h}.${other}.${s}`, c);
  }
  push('signature of another token', 'truncated', `${h}.${p}.${(await hs256(ctx, claims())).split('.')[2]}`);
  // The same valid signature written another way: base64 decoders that skip whitespace and padding accept these.
  for (const [what, make] of [
    ['a newline after the signature', (t: string) => `${t}\n`],
    ['a space after the signature', (t: string) => `${t} `],
    ['a tab inside the signature', (t: string) => `${t.slice(0, -4)}\t${t.slice(-4)}`],
    ['= padding after the signature', (t: string) => `${t}=`],
    ['a CRLF after the signature', (t: string) => `${t}\r\n`],
  ] as const) {
    const c = claims();
    push(`HS256 with ${what}`, 'malleable', make(await hs256(ctx, c)), c);
    if (ctx.key) {
      const e = claims();
      push(`ES256 with ${what}`, 'malleable', make(await es256(ctx, e)), e);
    }
  }
  for (const garbage of ['x', 'a.b.c', '..', '...', 'null', '{"alg":"none"}', `${b64('not json')}.${b64('{}')}.sig`, `${b64({ alg: 'HS256' })}.${b64('not json')}.sig`, `${b64({ alg: 'HS256' })}.!!!.sig`, 'Bearer x.y.z', '%00.%00.%00', '😀.😀.😀']) {
    push(`garbage ${JSON.stringify(garbage).slice(0, 30)}`, 'garbage', garbage);
  }
  push(`${16 * 1024} random characters`, 'garbage', randomBytes(12 * 1024).toString('base64url').slice(0, 16 * 1024), undefined, 'refused');
  for (const kb of [8, 12, 20, 64]) {
    const c = { ...claims(), padding: 'x'.repeat(kb * 1024) };
    push(`validly signed, ${kb} KB of padding`, 'oversized', await hs256(ctx, c), c, kb <= 8 ? 401 : 'refused');
  }
  if (ctx.key) {
    const key = ctx.key;
    const confusions: Array<[string, string | Uint8Array]> = [
      ['the public key PEM', key.publicPem],
      ['the public JWK as JSON', JSON.stringify(key.publicJwk)],
      ['the public key x coordinate', Buffer.from(String(key.publicJwk.x), 'base64url')],
    ];
    for (const [what, secret] of confusions) {
      for (const header of [{ alg: 'HS256', typ: 'JWT' }, { alg: 'HS256', typ: 'JWT', kid: key.kid }]) {
        const c = claims();
        push(`HS256 signed with ${what}${'kid' in header ? ' and the JWKS kid' : ''}`, 'key confusion', await sign(header, c, { kind: 'hmac', key: secret }), c);
      }
    }
    const attacker = await newSigningKey(key.kid);
    const stranger = await newSigningKey('unknown-kid');
    {
      const c = claims();
      push('ES256 signed by another key under the JWKS kid', 'ES256', await es256(ctx, c, {}, attacker), c);
    }
    {
      const c = claims();
      push('ES256 with an unknown kid', 'ES256', await es256(ctx, c, {}, stranger), c);
    }
    {
      const c = claims();
      push('ES256 with a path as kid', 'ES256', await es256(ctx, c, { kid: '../../../etc/passwd' }, stranger), c);
    }
    {
      const c = claims();
      push("ES256 carrying the attacker's key in its jwk header", 'ES256', await es256(ctx, c, { jwk: attacker.publicJwk }, attacker), c);
    }
    {
      const c = claims();
      push("ES256 pointing jku at the attacker's key set", 'ES256', await es256(ctx, c, { jku: 'http://127.0.0.1:9/jwks.json', kid: 'attacker' }, attacker), c);
    }
    {
      const c = claims();
      push('ES256 signature with its last byte flipped', 'ES256', flipLastByte(await es256(ctx, c)), c);
    }
  }
  return list;
}

function flipLastByte(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** Every attack for the stage: claim attacks under each algorithm it accepts, and the shape attacks. */
export async function attackCatalogue(ctx: TokenContext): Promise<Attack[]> {
  const list = [...(await claimAttacks(ctx, 'HS256', (claims) => hs256(ctx, claims)))];
  if (ctx.key) list.push(...(await claimAttacks(ctx, 'ES256', (claims) => es256(ctx, claims))));
  list.push(...(await shapeAttacks(ctx)));
  return list;
}
