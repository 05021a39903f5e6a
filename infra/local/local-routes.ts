/**
 * Routes only the local stage serves, never the HTTP Lambda (so no deployed bundle can mint
 * tokens): the demo page, token minting for it and the tests, and the emulator's switches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { ROLES } from '../../shared/protocol/roles';
import { ORG_ID_PATTERN } from '../../shared/protocol/tenancy';
import { mintLocalToken } from './tokens';
import { readBody } from './http-event';

export interface GatewaySwitches {
  setDropDisconnect(drop: boolean): void;
}

const tokenRequestSchema = z.object({
  orgId: z.string().check(z.regex(ORG_ID_PATTERN)),
  role: z._default(z.enum(ROLES), 'manager'),
  sub: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  expiresInSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(7 * 24 * 3600))),
});

const switchesSchema = z.object({ dropDisconnect: z.optional(z.boolean()) });

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The request's JSON body checked against a schema, or undefined (the caller answers 400). */
async function jsonBody<T>(req: IncomingMessage, schema: z.ZodMiniType<T>): Promise<T | undefined> {
  const body = await readBody(req, 64 * 1024);
  let value: unknown;
  try {
    value = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export interface LocalRoutesOptions {
  readonly jwtSecret: string;
  readonly gateway: GatewaySwitches;
  readonly demoPage: () => string;
}

export function localRoutes({ jwtSecret, gateway, demoPage }: LocalRoutesOptions) {
  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === '/demo' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(demoPage());
        return true;
      }
      if (path === '/local/token' && req.method === 'POST') {
        const request = await jsonBody(req, tokenRequestSchema);
        if (!request) {
          sendJson(res, 400, { message: 'expected {"orgId": "[A-Za-z0-9_-]{1,64}", "role"?: "admin|manager|viewer", "sub"?, "expiresInSeconds"?}' });
          return true;
        }
        const { orgId, role, sub, expiresInSeconds } = request;
        const token = await mintLocalToken({ orgId, role, secret: jwtSecret, ...(sub ? { sub } : {}), ...(expiresInSeconds ? { expiresInSeconds } : {}) });
        sendJson(res, 200, { token });
        return true;
      }
      if (path === '/local/gateway' && req.method === 'POST') {
        const switches = await jsonBody(req, switchesSchema);
        if (!switches) {
          sendJson(res, 400, { message: 'expected {"dropDisconnect": boolean}' });
          return true;
        }
        if (switches.dropDisconnect !== undefined) gateway.setDropDisconnect(switches.dropDisconnect);
        sendJson(res, 200, switches);
        return true;
      }
      return false;
    },
  };
}
