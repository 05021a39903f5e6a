/**
 * cost — the model of `model.ts` fed by the events this run counted (the other benches), plus
 * the stack's fixed monthly costs: $ per 1 M staff updates in an org of 50, a month of 1 000
 * clients connected 8 h a day with a 60 s heartbeat, an idle deployment, and an always-on
 * small container beside them; with the price table it assumes.
 */
import { fmt, usd } from '../lib/format';
import type { Bench, BenchResult, Table } from '../lib/types';
import { accessLogLineBytes, readDeployment } from './deployment';
import { modelInputs } from './inputs';
import { billedGbSeconds, totalUsd, type CostLine } from './model';
import { PRICES } from './prices';
import { connectedMonth, containers, idleMonth, perMillionUpdates, type ConnectedScenario } from './scenarios';

const linesTable = (title: string, lines: readonly CostLine[]): Table => ({
  title,
  columns: ['item', 'quantity', 'unit', 'cost'],
  rows: [...lines.map((line) => [line.item, fmt(line.quantity), line.unit, usd(line.usd)]), ['total', '', '', usd(totalUsd(lines))]],
});

export const cost: Bench = {
  name: 'cost',
  summary: 'the cost model fed by the counted events, beside an always-on container',
  flags: {
    'org-size': { default: 50, help: 'connected clients of the org whose updates are priced' },
    'monthly-clients': { default: 1000, help: 'clients of the monthly scenario' },
    'hours-per-day': { default: 8, help: 'hours each client stays connected per day' },
    heartbeat: { default: 60, help: 'seconds between a client\'s PINGs' },
    'updates-per-client-day': { default: 0, help: 'staff updates per client per day in the monthly scenario' },
  },
  async run({ flags, progress, events }): Promise<BenchResult> {
    progress('reading the stack (in-process synth, bundling skipped)');
    const deployment = await readDeployment();
    const { inputs, sources } = modelInputs(events);
    const logLine = accessLogLineBytes();
    const orgSize = flags['org-size'] as number;
    const scenario: ConnectedScenario = {
      clients: flags['monthly-clients'] as number,
      hoursPerDay: flags['hours-per-day'] as number,
      heartbeatSeconds: flags.heartbeat as number,
      updatesPerClientDay: flags['updates-per-client-day'] as number,
      orgSize,
    };
    const million = perMillionUpdates(orgSize, inputs, deployment, PRICES, logLine);
    const month = connectedMonth(scenario, inputs, deployment, PRICES, logLine);
    const idle = idleMonth(deployment, PRICES);
    const boxes = containers(PRICES);
    const idleUsd = totalUsd(idle);
    const perClient = (totalUsd(month) - idleUsd) / scenario.clients;
    const slowerHeartbeat = connectedMonth({ ...scenario, heartbeatSeconds: 300 }, inputs, deployment, PRICES, logLine);

    const metrics: Record<string, number> = {
      perMillionUpdatesUsd: totalUsd(million),
      monthlyConnectedUsd: totalUsd(month),
      monthlyConnectedHeartbeat300Usd: totalUsd(slowerHeartbeat),
      idleMonthlyUsd: idleUsd,
      perClientMonthlyUsd: perClient,
      alarms: deployment.alarms,
      secrets: deployment.secrets,
      messageMemoryMb: deployment.memoryMb.message,
    };
    boxes.forEach((box, i) => (metrics[`container${i + 1}MonthlyUsd`] = totalUsd(box.lines)));
    const breakEven = (box: (typeof boxes)[number]): number => (totalUsd(box.lines) - idleUsd) / perClient;
    const who = `${scenario.clients.toLocaleString('en-US')} clients × ${scenario.hoursPerDay} h/day, ${scenario.heartbeatSeconds} s heartbeat${scenario.updatesPerClientDay ? `, ${scenario.updatesPerClientDay} updates/client/day` : ''}`;
    metrics.breakEvenClientsFargate = breakEven(boxes[0] as (typeof boxes)[number]);

    const extra: string[] = [];
    if (events.sync) {
      // A full snapshot as the SDK streams it: per read one SYNC_REQUEST in and one message invocation
      // (one RPC, then its pages posted one after another); one SYNC_RESPONSE out per page.
      const { pages, bytes, rows, rpcCalls: reads } = events.sync;
      const perSnapshot = (reads + pages) * PRICES.websocketMessage.usd + reads * PRICES.lambdaRequest.usd
        + reads * billedGbSeconds(deployment.memoryMb.message, inputs.network.rpcMs + (pages / reads) * inputs.network.postMs + events.sync.ms / reads) * PRICES.lambdaGbSecond.usd
        + (bytes / 1024 ** 3) * PRICES.dataOutGb.usd;
      metrics.perThousandSnapshotsUsd = perSnapshot * 1000;
      extra.push(`A full snapshot of ${rows.toLocaleString('en-US')} staff (sync bench, streamed: ${pages} pages in ${reads} read(s), ${fmt(bytes / 2 ** 20, 'MB')}) costs ${usd(perSnapshot * 1000)} per 1 000 snapshots; a resync after a short disconnect is one small delta page.`);
    }
    if (events.fanout) {
      extra.push(`Large orgs: one message invocation posts ${deployment.pageSize} connections and hands each further page to a broadcaster invocation (fanout bench: ${fmt(events.fanout.postMsPerConnection, 'ms')} per connection in one invocation at C = ${events.fanout.concurrency}).`);
    }
    return {
      metrics,
      tables: [
        {
          title: 'cost — prices assumed (us-east-1, Lambda arm64, on-demand, no free tier)',
          columns: ['item', 'price', 'per', 'per million', 'pricing page'],
          rows: Object.values(PRICES).map((p) => [p.item, `$${Number(p.usd.toPrecision(6))}`, p.unit, p.usd < 0.001 ? usd(p.usd * 1e6) : '', p.source]),
        },
        {
          title: `cost — inputs (stack: ${deployment.source})`,
          columns: ['input', 'value', 'source'],
          rows: [
            ['memory: authorizer / connect / disconnect / message / broadcast / http', Object.values(deployment.memoryMb).join(' / ') + ' MB', 'stack'],
            ['broadcast concurrency, page size', `${deployment.broadcastConcurrency}, ${deployment.pageSize}`, 'stack'],
            ['alarms, secrets, log retention', `${deployment.alarms}, ${deployment.secrets}, ${deployment.logRetentionDays} days`, 'stack'],
            ['frames: update / ACK / broadcast', `${fmt(inputs.bytes.update)} / ${fmt(inputs.bytes.ack)} / ${fmt(inputs.bytes.broadcast)} B`, sources['ACK / broadcast bytes'] ?? ''],
            ['frames: PING / PONG, resync request / response', `${fmt(inputs.bytes.ping)} / ${fmt(inputs.bytes.pong)}, ${fmt(inputs.bytes.syncRequest)} / ${fmt(inputs.bytes.syncResponse)} B`, sources['PING / PONG bytes'] ?? ''],
            ['handler time: update / PING / connect / disconnect / resync', `${[inputs.localMs.update, inputs.localMs.heartbeat, inputs.localMs.connect, inputs.localMs.disconnect, inputs.localMs.sync].map((v) => fmt(v)).join(' / ')} ms`, sources['handler time: update'] ?? ''],
            ['log bytes: update / PING / connect / disconnect / resync', `${[inputs.logBytes.update, inputs.logBytes.heartbeat, inputs.logBytes.connect, inputs.logBytes.disconnect, inputs.logBytes.sync].map((v) => fmt(v)).join(' / ')} B`, sources['log bytes per request'] ?? ''],
            ['access-log line, Lambda platform lines', `${logLine} B per request, 330 B per invocation`, 'stack format / assumed'],
            ['round trips added on AWS: RPC / DynamoDB / post / async invoke', `${inputs.network.rpcMs} / ${inputs.network.dynamodbMs} / ${inputs.network.postMs} / ${inputs.network.invokeMs} ms`, 'assumed'],
          ],
        },
        linesTable(`cost — 1 M staff updates in an org of ${orgSize} connected clients (variable costs)`, million),
        linesTable(`cost — one month of ${who} (${deployment.secrets} secrets, ${deployment.alarms} alarms)`, month),
        {
          title: 'cost — serverless beside one always-on container (per month)',
          columns: ['deployment', 'idle', who, `1 M updates (org of ${orgSize})`, 'break-even clients'],
          rows: [
            ['serverless (this stack)', usd(idleUsd), usd(totalUsd(month)), usd(totalUsd(million)), '—'],
            ...boxes.map((box) => [box.name, usd(totalUsd(box.lines)), usd(totalUsd(box.lines)), '≈ $0 until it is full', `${Math.round(breakEven(box)).toLocaleString('en-US')} clients`]),
          ],
        },
      ],
      notes: [
        `Per client connected ${scenario.hoursPerDay} h a day the stack costs ${usd(perClient)} a month; the heartbeat is most of it (${usd(totalUsd(month))} with a ${scenario.heartbeatSeconds} s heartbeat, ${usd(totalUsd(slowerHeartbeat))} with 300 s: the idle timeout is 10 minutes, so a slower PING, or answering it without a Lambda, is the cheapest saving).`,
        `$ per 1 M updates is mostly WebSocket messages: every update is 1 frame in + ${orgSize} out (ACK + ${orgSize - 1} broadcasts); Lambda time is small beside it because the broadcast posts run ${deployment.broadcastConcurrency} at a time.`,
        'Idle, the stack bills only its alarms and secrets (and kept logs). A container bills every hour; it is cheaper above the break-even client count, but it is one instance without redundancy (two for availability double it), it must be patched, scaled and given TLS, and its marginal cost per update is zero only until it is full.',
        ...extra,
        'Supabase (plan and its compute) serves both deployments alike and is not priced; data transfer out is priced for serverless and is the same for a container.',
      ],
    };
  },
};
