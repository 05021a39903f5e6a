/**
 * A local JWKS endpoint (`/auth/v1/.well-known/jwks.json`, as Supabase serves it) with an ES256
 * key, and switches for the ways it can be down: refusing connections (the port closed),
 * dropping the socket, answering 503, answering garbage, or hanging past the verifier's timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';

export type JwksMode = 'up' | 'closed' | 'reset' | '503' | 'garbage' | 'hang';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** The public key as PEM (SPKI), what a key-confusion attacker would use as an HMAC secret. */
  readonly publicPem: string;
}

export interface JwksServer {
  readonly url: string;
  readonly key: SigningKey;
  /** Requests that reached the server. */
  readonly requests: () => number;
  setMode(mode: JwksMode): Promise<void>;
  close(): Promise<void>;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', publicKey as unknown as globalThis.CryptoKey)).toString('base64');
  const publicPem = `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
  return { kid, privateKey, publicJwk, publicPem };
}

export async function startJwksServer(): Promise<JwksServer> {
  const key = await newSigningKey(`es256-${Date.now().toString(36)}`);
  let mode: JwksMode = 'up';
  let requests = 0;
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests += 1;
    req.resume();
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === '503') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"unavailable"}');
      return;
    }
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not a key set</html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
  };

  let server: Server = createServer(handle);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json`,
    key,
    requests: () => requests,
    async setMode(next) {
      if (mode === 'hang' && next !== 'hang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
      if (next === 'closed' && mode !== 'closed') await stop();
      if (mode === 'closed' && next !== 'closed') {
        server = createServer(handle);
        await listen(port);
      }
      mode = next;
    },
    close: async () => {
      if (mode !== 'closed') await stop();
    },
  };
}
