/**
 * `npm run token -- --org ORG --role ROLE [--sub USER] [--ttl SECONDS]`: prints one fresh local
 * token and nothing else, so `TOKEN=$(npm run -s token -- --org demo --role manager)` works.
 * Uses `SUPABASE_JWT_SECRET` and `JWT_ISSUER` from the environment when set.
 */
import { parseArgs } from 'node:util';
import { isRole } from '../../shared/protocol/roles';
import { mintLocalToken } from './tokens';

export const USAGE = 'usage: npm run token -- --org ORG --role admin|manager|viewer [--sub USER] [--ttl SECONDS]';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
    ? (error as { message: string }).message
    : String(error);

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Returns the exit code: 0 printed a token, 2 bad arguments. */
export async function runTokenCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: CliIo = defaultIo,
): Promise<number> {
  let values: { org?: string; role?: string; sub?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        org: { type: 'string' },
        role: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`${messageOf(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const problem = !values.org
    ? '--org is required'
    : !values.role
      ? '--role is required'
      : !isRole(values.role)
        ? `--role must be admin, manager or viewer, got "${values.role.slice(0, 40)}"`
        : values.ttl !== undefined && !/^[1-9]\d*$/.test(values.ttl)
          ? '--ttl must be a positive number of seconds'
          : undefined;
  if (problem || !values.org || !isRole(values.role)) {
    io.err(`${problem}\n${USAGE}\n`);
    return 2;
  }
  try {
    const token = await mintLocalToken({
      orgId: values.org,
      role: values.role,
      ...(values.sub !== undefined ? { sub: values.sub } : {}),
      ...(values.ttl !== undefined ? { expiresInSeconds: Number(values.ttl) } : {}),
      ...(env.SUPABASE_JWT_SECRET ? { secret: env.SUPABASE_JWT_SECRET } : {}),
      ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
    });
    io.out(`${token}\n`);
    return 0;
  } catch (error) {
    io.err(`${messageOf(error)}\n${USAGE}\n`);
    return 2;
  }
}

if (require.main === module) {
  void runTokenCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
