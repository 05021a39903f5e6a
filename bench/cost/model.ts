/**
 * The cost model's arithmetic, free of I/O: billable usage in AWS's own units, priced line by
 * line. What one request uses is built from counted events (frame bytes, handler time,
 * database and DynamoDB calls, log bytes) plus the network round trips a deployed stage adds.
 */
import type { Prices } from './prices';

/** Billable quantities, in AWS's units. Additive. */
export interface Usage {
  readonly messages: number;
  readonly connectionMinutes: number;
  readonly httpRequests: number;
  readonly lambdaRequests: number;
  readonly lambdaGbSeconds: number;
  readonly dynamodbReadUnits: number;
  readonly dynamodbWriteUnits: number;
  readonly logBytes: number;
  readonly secretsApiCalls: number;
  readonly dataOutBytes: number;
  /** Calls to Supabase: counted, priced at $0 (they are part of the Supabase plan). */
  readonly rpcCalls: number;
}

export const NO_USAGE: Usage = {
  messages: 0, connectionMinutes: 0, httpRequests: 0, lambdaRequests: 0, lambdaGbSeconds: 0, dynamodbReadUnits: 0,
  dynamodbWriteUnits: 0, logBytes: 0, secretsApiCalls: 0, dataOutBytes: 0, rpcCalls: 0,
};

/** Σ usage × weight. */
export function combine(...parts: ReadonlyArray<readonly [Usage, number]>): Usage {
  const out: Record<string, number> = { ...NO_USAGE };
  for (const [usage, weight] of parts) for (const key of Object.keys(NO_USAGE)) out[key] = (out[key] ?? 0) + (usage[key as keyof Usage] ?? 0) * weight;
  return out as unknown as Usage;
}

/** API Gateway meters WebSocket messages in 32 KB units. */
export const messageUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 32_768));

/** GB-seconds of one invocation: duration billed per 1 ms, at the function's memory. */
export const billedGbSeconds = (memoryMb: number, durationMs: number): number => (memoryMb / 1024) * (Math.max(1, Math.ceil(durationMs)) / 1000);

/** Read units of one Query page: 4 KB units, halved for eventually consistent reads (a GSI's only kind). */
export const queryReadUnits = (bytes: number): number => 0.5 * Math.max(1, Math.ceil(bytes / 4096));

/** Write units of one PutItem/DeleteItem: 1 KB units. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export const totalUsd = (lines: readonly CostLine[]): number => lines.reduce((sum, line) => sum + line.usd, 0);

const GB = 1024 ** 3;

/** The priced lines of `usage` (zero quantities left out). */
export function price(usage: Usage, prices: Prices): CostLine[] {
  const line = (key: keyof Prices, quantity: number): CostLine => ({ item: prices[key].item, quantity, unit: prices[key].unit, usd: quantity * prices[key].usd });
  return [
    line('websocketMessage', usage.messages),
    line('connectionMinute', usage.connectionMinutes),
    line('httpRequest', usage.httpRequests),
    line('lambdaRequest', usage.lambdaRequests),
    line('lambdaGbSecond', usage.lambdaGbSeconds),
    line('dynamodbRead', usage.dynamodbReadUnits),
    line('dynamodbWrite', usage.dynamodbWriteUnits),
    line('logIngestGb', usage.logBytes / GB),
    line('secretsApiCall', usage.secretsApiCalls),
    line('dataOutGb', usage.dataOutBytes / GB),
    { item: 'Supabase RPC calls (in the Supabase plan)', quantity: usage.rpcCalls, unit: 'call', usd: 0 },
  ].filter((entry) => entry.quantity > 0);
}

/** What the stack deploys that the model needs (read from the synthesized template, or assumed). */
export interface Deployment {
  readonly memoryMb: Readonly<Record<'authorizer' | 'connect' | 'disconnect' | 'message' | 'broadcast' | 'http', number>>;
  readonly broadcastConcurrency: number;
  readonly pageSize: number;
  readonly alarms: number;
  readonly secrets: number;
  /** How long logs are kept, in days (storage is billed on what is kept). */
  readonly logRetentionDays: number;
  /** Where these figures come from. */
  readonly source: string;
}

/** Costs that run whether or not anyone is connected, per month; `logGbPerMonth` adds the storage of what is ingested. */
export function fixedMonthly(deployment: Deployment, prices: Prices, logGbPerMonth = 0): CostLine[] {
  const keptMonths = Math.min(1, deployment.logRetentionDays / 30.4);
  return [
    { item: prices.secretMonth.item, quantity: deployment.secrets, unit: prices.secretMonth.unit, usd: deployment.secrets * prices.secretMonth.usd },
    { item: prices.alarmMonth.item, quantity: deployment.alarms, unit: prices.alarmMonth.unit, usd: deployment.alarms * prices.alarmMonth.usd },
    { item: prices.logStorageGbMonth.item, quantity: logGbPerMonth * keptMonths, unit: prices.logStorageGbMonth.unit, usd: logGbPerMonth * keptMonths * prices.logStorageGbMonth.usd },
  ];
}
