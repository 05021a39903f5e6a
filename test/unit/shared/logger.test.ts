import { Logger } from '@aws-lambda-powertools/logger';
import { createLogger, logLevelFromEnv, logger, setRequestKeys } from '../../../shared/logger';

describe('logger', () => {
  it('is a Powertools logger named staff-sync', () => {
    expect(logger).toBeInstanceOf(Logger);
    expect(createLogger({ LOG_LEVEL: 'INFO' }).getPersistentLogAttributes()).toEqual({});
  });

  it.each([
    [{ POWERTOOLS_LOG_LEVEL: 'debug', LOG_LEVEL: 'error' }, 'DEBUG'],
    [{ LOG_LEVEL: 'warn' }, 'WARN'],
    [{ LOG_LEVEL: 'silent' }, 'SILENT'],
    [{ LOG_LEVEL: 'off' }, 'SILENT'],
    [{ LOG_LEVEL: 'fatal' }, 'CRITICAL'],
    [{ JEST_WORKER_ID: '1' }, 'SILENT'],
    [{}, undefined],
    [{ LOG_LEVEL: 'chatty' }, undefined],
  ])('reads the level from %p', (env, level) => {
    expect(logLevelFromEnv(env)).toBe(level);
  });

  it('is silent under Jest unless a level is set', () => {
    expect(logger.level).toBe(28);
    expect(createLogger({ LOG_LEVEL: 'info' }).getLevelName()).toBe('INFO');
  });

  function capture(target: Logger): string[] {
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    target.info('hello');
    jest.restoreAllMocks();
    return lines;
  }

  it('attaches only the request keys that are defined, and replaces earlier ones', () => {
    const target = createLogger({ LOG_LEVEL: 'INFO' });
    setRequestKeys({ requestId: 'r1', connectionId: 'c1', orgId: 'o1' }, target);
    setRequestKeys({ requestId: 'r2', connectionId: undefined }, target);
    const lines = capture(target);
    const record = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(record).toMatchObject({ service: 'staff-sync', message: 'hello', requestId: 'r2' });
    expect(record).not.toHaveProperty('connectionId');
    expect(record).not.toHaveProperty('orgId');
  });
});
