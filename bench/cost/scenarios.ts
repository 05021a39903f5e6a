/** The priced scenarios of issue 6, and the always-on container they are compared with. */
import { combine, fixedMonthly, price, type CostLine, type Deployment, type Usage } from './model';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, type Prices } from './prices';
import { heartbeatUsage, sessionUsage, updateUsage, type ModelInputs } from './requests';

/** API Gateway closes every WebSocket after 2 hours; clients reconnect. */
export const MAX_CONNECTION_HOURS = 2;

export interface ConnectedScenario {
  readonly clients: number;
  readonly hoursPerDay: number;
  readonly heartbeatSeconds: number;
  /** Staff updates each client makes per connected day (broadcast to its org). */
  readonly updatesPerClientDay: number;
  readonly orgSize: number;
}

/** Cost of one million staff updates in an org of `orgSize` connected clients (variable costs only). */
export function perMillionUpdates(orgSize: number, inputs: ModelInputs, deployment: Deployment, prices: Prices, accessLogLineBytes: number): CostLine[] {
  return price(combine([updateUsage(orgSize, inputs, deployment, accessLogLineBytes), 1e6]), prices);
}

/** A month of `clients` connected `hoursPerDay` every day, with heartbeats (and updates, if any). */
export function connectedMonthUsage(scenario: ConnectedScenario, inputs: ModelInputs, deployment: Deployment, accessLogLineBytes: number): Usage {
  const clientDays = scenario.clients * DAYS_PER_MONTH;
  const minutesPerDay = scenario.hoursPerDay * 60;
  const sessionsPerDay = Math.ceil(scenario.hoursPerDay / MAX_CONNECTION_HOURS);
  const heartbeatsPerDay = (minutesPerDay * 60) / scenario.heartbeatSeconds;
  return combine(
    [sessionUsage(minutesPerDay / sessionsPerDay, scenario.orgSize, inputs, deployment, accessLogLineBytes), clientDays * sessionsPerDay],
    [heartbeatUsage(inputs, deployment, accessLogLineBytes), clientDays * heartbeatsPerDay],
    [updateUsage(scenario.orgSize, inputs, deployment, accessLogLineBytes), clientDays * scenario.updatesPerClientDay],
  );
}

export function connectedMonth(scenario: ConnectedScenario, inputs: ModelInputs, deployment: Deployment, prices: Prices, accessLogLineBytes: number): CostLine[] {
  const usage = connectedMonthUsage(scenario, inputs, deployment, accessLogLineBytes);
  return [...price(usage, prices), ...fixedMonthly(deployment, prices, usage.logBytes / 1024 ** 3)];
}

/** A deployment nobody uses. */
export const idleMonth = (deployment: Deployment, prices: Prices): CostLine[] => fixedMonthly(deployment, prices);

export interface Container {
  readonly name: string;
  readonly lines: CostLine[];
}

/**
 * One always-on instance serving the WebSockets itself (as the original Go server did), per
 * month: compute, and a public IPv4 address; TLS through an ALB in the third option. Data
 * transfer, logs and secrets are about the same as serverless and left out of both sides' compute.
 */
export function containers(prices: Prices): Container[] {
  const hour = (key: keyof Prices, quantity = 1): CostLine => ({ item: prices[key].item, quantity: quantity * HOURS_PER_MONTH, unit: prices[key].unit, usd: quantity * HOURS_PER_MONTH * prices[key].usd });
  const fargate = [hour('fargateVcpuHour', 0.25), hour('fargateGbHour', 0.5)];
  return [
    { name: 'Fargate 0.25 vCPU / 0.5 GB (arm64) + public IPv4', lines: [...fargate, hour('publicIpv4Hour')] },
    { name: 'Fargate 0.25 vCPU / 0.5 GB (arm64) + ALB (TLS)', lines: [...fargate, hour('albHour'), hour('albLcuHour')] },
    {
      name: 't4g.small + 8 GB gp3 + public IPv4',
      lines: [hour('t4gSmallHour'), { item: prices.gp3GbMonth.item, quantity: 8, unit: prices.gp3GbMonth.unit, usd: 8 * prices.gp3GbMonth.usd }, hour('publicIpv4Hour')],
    },
  ];
}
