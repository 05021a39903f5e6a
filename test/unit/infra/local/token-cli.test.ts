import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTokenVerifier } from '../../../../shared/auth';
import { LOCAL_JWT_SECRET_DEFAULT } from '../../../../infra/local/tokens';
import { USAGE, runTokenCli } from '../../../../infra/local/token-cli';

const ROOT = join(__dirname, '..', '..', '..', '..');

const verify = (token: string, secret = LOCAL_JWT_SECRET_DEFAULT) =>
  createTokenVerifier({ jwtSecret: { kind: 'value', value: secret }, audience: 'authenticated', clockToleranceS: 30 }).verify(token);

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runTokenCli(argv, env, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('token CLI', () => {
  it('prints only a token that verifies, for the org, role and user asked', async () => {
    const { code, out, err } = await run(['--org', 'acme', '--role', 'viewer', '--sub', 'u-7', '--ttl', '120']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const identity = await verify(out.trim());
    expect(identity).toMatchObject({ userId: 'u-7', orgId: 'acme', role: 'viewer' });
    expect(identity.tokenExp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(120);
  });

  it('signs with SUPABASE_JWT_SECRET when it is set', async () => {
    const secret = 'cli-secret-that-is-at-least-32-bytes-long';
    const { out } = await run(['--org', 'acme', '--role', 'admin'], { SUPABASE_JWT_SECRET: secret });
    await expect(verify(out.trim(), secret)).resolves.toMatchObject({ role: 'admin' });
  });

  it.each([
    [[], '--org is required'],
    [['--org', 'acme'], '--role is required'],
    [['--org', 'acme', '--role', 'owner'], '--role must be admin, manager or viewer'],
    [['--org', 'acme', '--role', 'admin', '--ttl=-5'], '--ttl must be a positive number of seconds'],
    [['--org', 'acme', '--role', 'admin', '--ttl', '-5'], "Option '--ttl' argument is ambiguous"],
    [['--org', 'acme', '--role', 'admin', '--ttl', '1.5'], '--ttl must be a positive number of seconds'],
    [['--org', 'a b', '--role', 'admin'], 'orgId must be 1-64 characters'],
    [['--org', 'acme', '--role', 'admin', '--colour', 'red'], "Unknown option '--colour'"],
    [['--org'], "Option '--org <value>' argument missing"],
  ])('explains bad arguments %p and exits 2', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err).toContain(message);
    expect(err).toContain(USAGE);
  });

  it('prints the usage for --help', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, out: `${USAGE}\n`, err: '' });
  });

  it('runs as `npm run token` does and prints just the token', async () => {
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, ['infra/local/token-cli.ts', '--org', 'demo', '--role', 'manager'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    await expect(verify(stdout.trim())).resolves.toMatchObject({ orgId: 'demo', role: 'manager' });
  }, 20_000);
});
