import { billedGbSeconds, combine, fixedMonthly, messageUnits, NO_USAGE, price, queryReadUnits, totalUsd, writeUnits, type Deployment } from '../../../bench/cost/model';
import { HOURS_PER_MONTH, PRICES } from '../../../bench/cost/prices';
import { INDEX_ITEM_BYTES, PLATFORM_LOG_BYTES, updateUsage, type ModelInputs } from '../../../bench/cost/requests';
import { connectedMonthUsage, containers } from '../../../bench/cost/scenarios';

const deployment: Deployment = {
  memoryMb: { authorizer: 512, connect: 256, disconnect: 256, message: 1024, broadcast: 1024, http: 512 },
  broadcastConcurrency: 32,
  pageSize: 250,
  alarms: 18,
  secrets: 2,
  logRetentionDays: 30,
  source: 'test',
};

const inputs: ModelInputs = {
  bytes: { update: 160, ack: 700, broadcast: 650, ping: 45, pong: 95, syncRequest: 80, syncResponse: 1200 },
  localMs: { update: 5, heartbeat: 2, connect: 6, disconnect: 2, sync: 3 },
  logBytes: { update: 250, heartbeat: 200, connect: 450, disconnect: 250, sync: 250 },
  network: { rpcMs: 15, dynamodbMs: 5, postMs: 15, invokeMs: 20 },
};

describe('cost model', () => {
  it('meters WebSocket messages in 32 KB units, at least one', () => {
    expect(messageUnits(0)).toBe(1);
    expect(messageUnits(32_768)).toBe(1);
    expect(messageUnits(32_769)).toBe(2);
    expect(messageUnits(128 * 1024)).toBe(4);
  });

  it('bills Lambda duration per 1 ms at the configured memory', () => {
    expect(billedGbSeconds(1024, 20.2)).toBeCloseTo(0.021, 10);
    expect(billedGbSeconds(512, 0.3)).toBeCloseTo(0.0005, 10);
  });

  it('counts DynamoDB read units per 4 KB, halved for eventually consistent reads, and write units per 1 KB', () => {
    expect(queryReadUnits(32 * INDEX_ITEM_BYTES)).toBe(0.5);
    expect(queryReadUnits(50 * INDEX_ITEM_BYTES)).toBe(1);
    expect(queryReadUnits(4097)).toBe(1);
    expect(writeUnits(160)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });

  it('prices each quantity at its unit price and leaves out what is not used', () => {
    const lines = price({ ...NO_USAGE, messages: 2e6, lambdaRequests: 1e6, rpcCalls: 5 }, PRICES);
    expect(lines.map((line) => [line.item, line.usd])).toEqual([
      [PRICES.websocketMessage.item, 2],
      [PRICES.lambdaRequest.item, expect.closeTo(0.2, 10)],
      ['Supabase RPC calls (in the Supabase plan)', 0],
    ]);
  });

  it('adds usages with weights', () => {
    const once = { ...NO_USAGE, messages: 3, logBytes: 10 };
    expect(combine([once, 2], [{ ...NO_USAGE, messages: 1 }, 0.5])).toEqual({ ...NO_USAGE, messages: 6.5, logBytes: 20 });
  });

  it('prices an update in an org of 50: one frame in, an ACK and 49 broadcasts out, one invocation, one index page', () => {
    const usage = updateUsage(50, inputs, deployment, 400);
    expect(usage.messages).toBe(51);
    expect(usage.lambdaRequests).toBe(1);
    // 5 ms local + 15 ms RPC + 5 ms query + 2 waves of posts (50 / 32) × 15 ms, at 1 GB.
    expect(usage.lambdaGbSeconds).toBeCloseTo(0.055, 10);
    expect(usage.dynamodbReadUnits).toBe(1);
    expect(usage.logBytes).toBe(250 + 400 + PLATFORM_LOG_BYTES);
    expect(usage.dataOutBytes).toBe(700 + 49 * 650);
    expect(usage.rpcCalls).toBe(1);
  });

  it('hands every page after the first to a broadcaster invocation in a large org', () => {
    const usage = updateUsage(600, inputs, deployment, 400);
    expect(usage.lambdaRequests).toBe(3);
    // Two full pages of 250 items (31 250 B → 8 units → 4 RRU) and one of 100 (12 500 B → 4 units → 2 RRU).
    expect(usage.dynamodbReadUnits).toBe(10);
  });

  it('bills connection-minutes and one heartbeat per minute for clients connected 8 hours a day', () => {
    const usage = connectedMonthUsage({ clients: 1000, hoursPerDay: 8, heartbeatSeconds: 60, updatesPerClientDay: 0, orgSize: 50 }, inputs, deployment, 400);
    const clientDays = 1000 * (365 / 12);
    expect(usage.connectionMinutes).toBeCloseTo(clientDays * 480, 3);
    // 480 heartbeats (PING + PONG) and 4 reconnects (2-hour limit), each with one resync request and response.
    expect(usage.messages).toBeCloseTo(clientDays * (480 * 2 + 4 * 2), 3);
    // One GetItem per heartbeat; per session, the org index read twice for presence watchers (50 × 125 B → 1 RRU each).
    expect(usage.dynamodbReadUnits).toBeCloseTo(clientDays * (480 * 1 + 4 * 2 * 1), 3);
  });

  it('sums the fixed monthly costs: secrets and alarms', () => {
    expect(totalUsd(fixedMonthly(deployment, PRICES))).toBeCloseTo(2 * 0.4 + 18 * 0.1, 10);
  });

  it('prices an always-on Fargate task of 0.25 vCPU and 0.5 GB with its public address by the hour', () => {
    const [fargate] = containers(PRICES);
    expect(totalUsd(fargate!.lines)).toBeCloseTo(HOURS_PER_MONTH * (0.25 * 0.03238 + 0.5 * 0.00356 + 0.005), 10);
  });
});
