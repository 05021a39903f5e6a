/**
 * The frame of a fault suite file: one misbehaving stage, a writer and a viewer (the observer) in
 * a fresh org, every proxy healed before each case, and the figures (fault → injected → what it
 * produced) printed at the end.
 */
import { randomBytes } from 'node:crypto';
import { TestClient } from '../../e2e/support/client';
import type { MisbehavingProxy } from './misbehaving-proxy';
import { startMisbehavingStage, type MisbehavingStage } from './misbehaving-stage';

export interface FaultSuite {
  readonly orgId: string;
  readonly stage: MisbehavingStage;
  /** A manager of the org. */
  readonly writer: TestClient;
  /** A viewer of the org: what every other client sees. */
  readonly observer: TestClient;
  /** Faults the proxy injected since it started. */
  injectedBy(proxy: MisbehavingProxy): number;
  report(fault: string, injected: number, produced: string): void;
  /** The org's latest seq, through the protocol (the observer's PONG). */
  latestSeq(): Promise<number>;
}

export const createFrame = (requestId: string, name: string) => ({ type: 'STAFF_CREATE', requestId, payload: { staff: { name } } });

/** Registers the suite's hooks; the returned object is usable from `beforeAll` on. */
export function useFaultSuite(title: string): FaultSuite {
  const orgId = `faults-${randomBytes(5).toString('hex')}`;
  const figures: string[] = [];
  let stage: MisbehavingStage | undefined;
  let writer: TestClient | undefined;
  let observer: TestClient | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the fault suite is not started yet (use it from beforeAll on)');
    return value;
  };

  beforeAll(async () => {
    stage = await startMisbehavingStage();
    writer = await TestClient.connect({ orgId });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
  });
  afterAll(async () => {
    writer?.close();
    observer?.close();
    await stage?.close();
    console.log(`${title}: faults injected and what each produced:\n  ${figures.join('\n  ')}`);
  });
  beforeEach(() => {
    for (const proxy of [ready(stage).rpc, ready(stage).dynamo, ready(stage).webhook]) proxy.heal();
  });

  return {
    orgId,
    get stage() {
      return ready(stage);
    },
    get writer() {
      return ready(writer);
    },
    get observer() {
      return ready(observer);
    },
    injectedBy: (proxy) => Object.values(proxy.injected).reduce((sum, n) => sum + n, 0),
    report: (fault, injected, produced) => {
      figures.push(`${fault}: ${injected} injected → ${produced}`);
    },
    latestSeq: async () => (await ready(observer).request({ type: 'PING' })).seq as number,
  };
}
