/**
 * Turns an HTTP request for `/rpc/{fn}` into what function matching needs, with PostgREST's
 * refusals: PGRST101/117 for other methods, PGRST106 for a schema that is not exposed, PGRST107
 * for an Accept we cannot produce, PGRST102 for a body that is not usable JSON.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  invalidBody,
  invalidRpcMethod,
  invalidSchema,
  mediaTypeError,
  unsupportedMethod,
} from './rpc-errors';
import type { PayloadMedia } from './rpc-schema';

export const EXPOSED_SCHEMAS = ['public'] as const;
/** Query parameters PostgREST reserves for itself (never function arguments), plus the gateway's `apikey`. */
const RESERVED_QUERY_KEYS = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'apikey']);
const SINGULAR = 'application/vnd.pgrst.object+json';
const PRODUCED = new Set(['application/json', 'application/*', '*/*', SINGULAR, 'application/vnd.pgrst.object']);

export interface ParsedRpcRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  /** POST: a volatile function runs read-write; GET/HEAD always read-only. */
  readonly isInvPost: boolean;
  readonly media: PayloadMedia;
  readonly keys: ReadonlySet<string>;
  readonly rows: readonly Record<string, unknown>[];
  readonly rawBody: string;
  readonly singular: boolean;
  /** The schema named by Content-Profile / Accept-Profile, echoed in the response. */
  readonly profile?: string;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function checkMethod(method: string): 'GET' | 'HEAD' | 'POST' {
  if (method === 'GET' || method === 'HEAD' || method === 'POST') return method;
  if (method === 'PUT' || method === 'PATCH' || method === 'DELETE') throw invalidRpcMethod(method);
  throw unsupportedMethod(method);
}

function negotiate(accept: string | undefined): { singular: boolean } {
  if (!accept) return { singular: false };
  const types = accept.split(',').map((part) => (part.split(';')[0] ?? '').trim().toLowerCase()).filter(Boolean);
  const chosen = types.find((type) => PRODUCED.has(type));
  if (chosen === undefined) throw mediaTypeError(types);
  return { singular: chosen.startsWith('application/vnd.pgrst.object') };
}

function mediaOf(contentType: string | undefined): PayloadMedia {
  const type = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (type === 'text/plain') return 'text';
  if (type === 'text/xml') return 'xml';
  if (type === 'application/octet-stream') return 'octet';
  throw invalidBody(`Content-Type not acceptable: ${type}`);
}

/** PostgREST's payloadAttributes: an object, or an array of objects with the same keys; anything else is no arguments. */
function jsonPayload(text: string): { keys: Set<string>; rows: Record<string, unknown>[] } {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw invalidBody('Empty or invalid json');
  }
  const isObject = (item: unknown): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item);
  if (isObject(value)) return { keys: new Set(Object.keys(value)), rows: [value] };
  if (!Array.isArray(value) || value.length === 0) return { keys: new Set(), rows: [] };
  const [first] = value;
  if (!isObject(first)) throw invalidBody('All object keys must match');
  const keys = new Set(Object.keys(first));
  const uniform = value.every((item) => isObject(item) && Object.keys(item).length === keys.size && Object.keys(item).every((k) => keys.has(k)));
  if (!uniform) throw invalidBody('All object keys must match');
  return { keys, rows: value as Record<string, unknown>[] };
}

export function parseRpcRequest(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer): ParsedRpcRequest {
  const verb = checkMethod(method);
  const isInvPost = verb === 'POST';
  const profile = header(headers, isInvPost ? 'content-profile' : 'accept-profile');
  if (profile !== undefined && !(EXPOSED_SCHEMAS as readonly string[]).includes(profile)) throw invalidSchema(profile, EXPOSED_SCHEMAS);
  const { singular } = negotiate(header(headers, 'accept'));
  const base = { method: verb, isInvPost, singular, ...(profile === undefined ? {} : { profile }) };
  if (!isInvPost) {
    const args: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (!RESERVED_QUERY_KEYS.has(key)) args[key] = value;
    return { ...base, media: 'json', keys: new Set(Object.keys(args)), rows: [args], rawBody: '' };
  }
  const media = mediaOf(header(headers, 'content-type'));
  if (media === 'octet') return { ...base, media, keys: new Set(), rows: [], rawBody: `\\x${body.toString('hex')}` };
  const text = body.toString('utf8');
  if (media === 'text' || media === 'xml') return { ...base, media, keys: new Set(), rows: [], rawBody: text };
  if (media === 'urlencoded') {
    const args = Object.fromEntries(new URLSearchParams(text));
    return { ...base, media, keys: new Set(Object.keys(args)), rows: [args], rawBody: text };
  }
  return { ...base, media, ...jsonPayload(text), rawBody: text.trim() === '' ? '{}' : text };
}
