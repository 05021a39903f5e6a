/**
 * subscriptions — fan-out messages per change for an org whose connections each look at one
 * department (docs/protocol.md §7.9): the Lambdas' own fan-out (`lambdas/lib/fanout.ts`, the real
 * connection store on dynalite, the gateway emulator's `@connections` with sinks), once with every
 * connection subscribed to the whole org and once with each subscribed to its department. The
 * changes are real ones from the staff store's wire form rules: most stay in their department, a
 * share move between two (a move reaches both departments).
 */
import { createFanOut } from '../../lambdas/lib/fanout';
import { createDocumentClient } from '../../shared/aws-clients';
import { createConnectionStore } from '../../shared/connection-store';
import { broadcastFrame } from '../../shared/protocol/server-frames';
import type { Change } from '../../shared/protocol/staff';
import { departmentsTouched } from '../../shared/subscriptions';
import { sampleBroadcast } from '../fanout/frame';
import { startFanoutStage } from '../fanout/setup';
import { fmt, usd } from '../lib/format';
import type { Bench, BenchResult } from '../lib/types';

const department = (i: number): string => `Ward ${String(i).padStart(2, '0')}`;

export const subscriptions: Bench = {
  name: 'subscriptions',
  summary: 'fan-out messages per change with connections subscribed to one department each, against the whole org',
  flags: {
    'sub-connections': { default: 500, help: 'connections of the org' },
    'sub-departments': { default: 50, help: 'departments, each watched by connections / departments of them' },
    'sub-changes': { default: 200, help: 'changes broadcast per run' },
    'sub-moves': { default: 10, help: 'percent of the changes that move a record between two departments' },
  },
  async run({ flags, progress }): Promise<BenchResult> {
    const connectionsCount = Number(flags['sub-connections']);
    const departments = Number(flags['sub-departments']);
    const changes = Number(flags['sub-changes']);
    const movePercent = Number(flags['sub-moves']);
    const stage = await startFanoutStage();
    const documents = createDocumentClient({ endpoint: stage.dynamo.endpoint, region: 'us-east-1' });
    try {
      const connections = createConnectionStore({ client: documents, tableName: stage.dynamo.tableName });
      const fanOut = createFanOut({
        connections,
        broadcastConfig: { concurrency: 32, pageSize: 250 },
        managementConfig: { endpoint: stage.gateway.managementEndpoint(), region: 'us-east-1' },
      });
      const sample = sampleBroadcast().change;
      const changeAt = (n: number): Change => {
        const from = department(n % departments);
        const moves = (n * 7919) % 100 < movePercent;
        const to = moves ? department((n + 1) % departments) : from;
        const deptSeqs = moves ? { [from]: n + 1, [to]: n + 1 } : { [from]: n + 1 };
        return { ...sample, seq: n + 1, staff: { ...sample.staff, department: to }, deptSeqs };
      };

      const rows: Array<[string, number, string, string]> = [];
      const metrics: Record<string, number> = {};
      for (const mode of ['whole org', 'one department each'] as const) {
        const orgId = mode === 'whole org' ? 'subwhole' : 'subdept';
        progress(`${mode}: ${connectionsCount} connections`);
        const ids = await stage.addOrg(orgId, connectionsCount, 0);
        if (mode === 'one department each') {
          let done = 0;
          await Promise.all(
            Array.from({ length: 8 }, async (_, lane) => {
              for (let i = lane; i < ids.length; i += 8) {
                await connections.subscribe(ids[i]!, [department(i % departments)]);
                if (++done % 100 === 0) progress(`${mode}: ${done} of ${ids.length} subscribed`);
              }
            }),
          );
        }
        const started = performance.now();
        for (let n = 0; n < changes; n++) {
          const change = changeAt(n);
          await fanOut.toOrg(orgId, [broadcastFrame(change)], { touching: departmentsTouched([change]) });
          if (n % 50 === 49) progress(`${mode}: ${n + 1} of ${changes} changes broadcast`);
        }
        const elapsed = performance.now() - started;
        const perChange = stage.delivered(orgId) / changes;
        const key = mode === 'whole org' ? 'whole' : 'filtered';
        metrics[`${key}MessagesPerChange`] = perChange;
        metrics[`${key}MsPerChange`] = elapsed / changes;
        rows.push([mode, Math.round(perChange * 10) / 10, fmt(elapsed / changes), usd(perChange)]);
      }
      const ratio = metrics.filteredMessagesPerChange! / metrics.wholeMessagesPerChange!;
      metrics.filteredShare = ratio;
      return {
        metrics,
        tables: [
          {
            title: `fan-out of ${changes} changes to ${connectionsCount} connections over ${departments} departments (${movePercent} % moves)`,
            columns: ['subscriptions', 'messages / change', 'ms / change', 'messages $ / 1 M changes'],
            rows,
          },
        ],
        notes: [
          `filtered: ${fmt(ratio * 100)} % of the whole-org messages (${connectionsCount / departments} connections per department; a move reaches two departments)`,
          'messages priced at $1.00 per million (API Gateway WebSocket, first billion, one 32 KB unit each); the org index is read whole either way (the filter runs on what it projects)',
        ],
      };
    } finally {
      documents.destroy();
      await stage.close();
    }
  },
};
