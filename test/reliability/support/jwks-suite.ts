/**
 * The handshake-attack run both token suites share: every attack tried in turn against the
 * stage, its status and the connection records of its org; everything the process prints is
 * captured meanwhile, so the suite can prove no line holds a token or its `email` claim.
 */
import { handshakeStatus } from '../../e2e/support/client';
import type { Attack } from './jwks-tokens';
import type { InProcessStage } from './fuzz-stage';

export interface AttackResult {
  readonly attack: Attack;
  readonly status: number;
  readonly ok: boolean;
}

/**
 * Everything written to stdout and stderr until `restore` (the Powertools logger writes its JSON
 * lines to stdout). The logger's own lines are kept out of the test output; the rest passes through.
 */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      chunks.push(text);
      if (text.startsWith('{"level":')) return true;
      return (originals[i] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return {
    text: () => chunks.join(''),
    restore: () => streams.forEach((stream, i) => (stream.write = originals[i] as typeof stream.write)),
  };
}

const matches = (expect: Attack['expect'], status: number) => (expect === 'refused' ? status >= 400 && status < 500 : status === expect);

/** Tries each attack once, in order; the socket of an unexpected 101 is closed at once. */
export async function runAttacks(attacks: readonly Attack[]): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    const status = await handshakeStatus(attack.token);
    results.push({ attack, status, ok: matches(attack.expect, status) });
  }
  return results;
}

/** Connection records whose org is not one of the accepted handshakes' orgs. */
export async function strayRecords(stage: InProcessStage, allowedOrgs: ReadonlySet<string>): Promise<string[]> {
  return (await stage.connectionRecords()).filter((record) => !allowedOrgs.has(record.orgId)).map((record) => `${record.orgId} (${record.connectionId})`);
}

/** The figures: attacks by family, with the statuses they got. */
export function attackReport(title: string, results: readonly AttackResult[]): string {
  const families = new Map<string, Map<number, number>>();
  for (const { attack, status } of results) {
    const statuses = families.get(attack.family) ?? new Map<number, number>();
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    families.set(attack.family, statuses);
  }
  const lines = [...families].map(([family, statuses]) => `    ${family.padEnd(18)} ${[...statuses].map(([status, n]) => `${n} × HTTP ${status}`).join(', ')}`);
  const wrong = results.filter((result) => !result.ok).map((result) => `    UNEXPECTED ${result.attack.family} / ${result.attack.name}: HTTP ${result.status}, expected ${result.attack.expect}`);
  return [`${title}: ${results.length} attacks, ${results.filter((r) => r.ok).length} answered as the protocol says`, ...lines, ...wrong].join('\n');
}

/** Lines of captured output holding any token (whole, or its payload or signature segment) or e-mail. */
export function linesWithSecrets(text: string, tokens: readonly string[], emails: readonly string[]): string[] {
  const needles = new Set<string>(emails.filter((email) => email.length > 0));
  for (const token of tokens) {
    const email = emailOf(token);
    if (email) needles.add(email);
    // Segments shorter than this (garbage tokens such as `x`) would match unrelated text.
    for (const part of [token, ...token.split('.').slice(1)]) if (part.length >= 16) needles.add(part);
  }
  return text.split('\n').filter((line) => [...needles].some((needle) => line.includes(needle))).map((line) => line.slice(0, 300));
}

/** The `email` claim of a token whose payload decodes, else undefined. */
function emailOf(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { email?: unknown };
    return typeof claims.email === 'string' && claims.email.length >= 8 ? claims.email : undefined;
  } catch {
    return undefined;
  }
}
