import {
  ConfigError,
  getIntFromEnv,
  getStringFromEnv,
  loadAuthConfig,
  loadBroadcastConfig,
  loadConnectionsConfig,
  loadManagementConfig,
  loadServiceInfo,
  loadSupabaseConfig,
  loadWebhookConfig,
} from '../../../shared/config';
import { version } from '../../../package.json';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staff-sync/jwt-AbCdEf';

describe('config', () => {
  describe('helpers', () => {
    it('names a missing setting', () => {
      expect(() => getStringFromEnv({}, 'CONNECTIONS_TABLE')).toThrow(new ConfigError('CONNECTIONS_TABLE', 'Missing required setting CONNECTIONS_TABLE'));
    });

    it('treats a blank value as missing and trims values', () => {
      expect(() => getStringFromEnv({ X: '   ' }, 'X')).toThrow('Missing required setting X');
      expect(getStringFromEnv({ X: ' v ' }, 'X')).toBe('v');
    });

    it('reads integers within bounds and refuses others with the setting named', () => {
      const bounds = { defaultValue: 5, min: 1, max: 10 };
      expect(getIntFromEnv({}, 'N', bounds)).toBe(5);
      expect(getIntFromEnv({ N: '7' }, 'N', bounds)).toBe(7);
      for (const bad of ['0', '11', '2.5', 'abc', '1e3']) {
        expect(() => getIntFromEnv({ N: bad }, 'N', bounds)).toThrow(/^Setting N must be an integer from 1 to 10/);
      }
    });
  });

  describe('loadServiceInfo', () => {
    it('defaults the stage to local and the version to package.json', () => {
      expect(loadServiceInfo({})).toEqual({ name: 'staff-sync', stage: 'local', version });
    });

    it('takes the stage, version and WebSocket URL from the environment', () => {
      expect(loadServiceInfo({ STAGE: 'prod', SERVICE_VERSION: '1.2.3', WEBSOCKET_URL: 'wss://x/prod' })).toEqual({
        name: 'staff-sync',
        stage: 'prod',
        version: '1.2.3',
        websocketUrl: 'wss://x/prod',
      });
    });

    it('refuses a stage name that is not a plain identifier', () => {
      expect(() => loadServiceInfo({ STAGE: 'a b' })).toThrow(/STAGE/);
    });
  });

  describe('loadSupabaseConfig', () => {
    it('names SUPABASE_URL when it is missing', () => {
      expect(() => loadSupabaseConfig({ SUPABASE_SERVICE_KEY: 'k' })).toThrow('Missing required setting SUPABASE_URL');
    });

    it('takes the service key directly', () => {
      expect(loadSupabaseConfig({ SUPABASE_URL: 'https://p.supabase.co/', SUPABASE_SERVICE_KEY: 'k' })).toEqual({
        url: 'https://p.supabase.co',
        serviceKey: { kind: 'value', value: 'k' },
      });
    });

    it('takes the service key as a Secrets Manager ARN', () => {
      const config = loadSupabaseConfig({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_SERVICE_KEY_SECRET_ARN: ARN });
      expect(config.serviceKey).toEqual({ kind: 'arn', arn: ARN });
    });

    it('names both settings when the key is missing', () => {
      expect(() => loadSupabaseConfig({ SUPABASE_URL: 'https://p.supabase.co' })).toThrow(
        'Missing required setting SUPABASE_SERVICE_KEY (or SUPABASE_SERVICE_KEY_SECRET_ARN)',
      );
    });

    it('refuses a value and an ARN together', () => {
      expect(() =>
        loadSupabaseConfig({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_SERVICE_KEY: 'k', SUPABASE_SERVICE_KEY_SECRET_ARN: ARN }),
      ).toThrow('Set only one of SUPABASE_SERVICE_KEY and SUPABASE_SERVICE_KEY_SECRET_ARN');
    });

    it('refuses an ARN that is not a Secrets Manager secret', () => {
      expect(() =>
        loadSupabaseConfig({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_SERVICE_KEY_SECRET_ARN: 'arn:aws:ssm:eu-west-1:1:parameter/x' }),
      ).toThrow('Setting SUPABASE_SERVICE_KEY_SECRET_ARN must be a Secrets Manager secret ARN');
    });

    it('refuses a URL that is not http(s)', () => {
      expect(() => loadSupabaseConfig({ SUPABASE_URL: 'p.supabase.co', SUPABASE_SERVICE_KEY: 'k' })).toThrow(/SUPABASE_URL must be an absolute URL/);
      expect(() => loadSupabaseConfig({ SUPABASE_URL: 'ftp://p', SUPABASE_SERVICE_KEY: 'k' })).toThrow(/http\(s\)/);
    });
  });

  describe('loadAuthConfig', () => {
    it('derives the JWKS URL from SUPABASE_URL and defaults the tolerance', () => {
      expect(loadAuthConfig({ SUPABASE_URL: 'https://p.supabase.co/' })).toEqual({
        jwksUrl: 'https://p.supabase.co/auth/v1/.well-known/jwks.json',
        audience: 'authenticated',
        clockToleranceS: 30,
      });
    });

    it('takes the secret, issuer, JWKS URL and tolerance from the environment', () => {
      const config = loadAuthConfig({
        SUPABASE_JWT_SECRET: 's',
        JWKS_URL: 'http://localhost:1/jwks',
        JWT_ISSUER: 'https://p.supabase.co/auth/v1',
        JWT_CLOCK_TOLERANCE_S: '5',
      });
      expect(config).toEqual({
        jwtSecret: { kind: 'value', value: 's' },
        jwksUrl: 'http://localhost:1/jwks',
        issuer: 'https://p.supabase.co/auth/v1',
        audience: 'authenticated',
        clockToleranceS: 5,
      });
    });

    it('takes the secret as an ARN', () => {
      expect(loadAuthConfig({ SUPABASE_URL: 'https://p', SUPABASE_JWT_SECRET_ARN: ARN }).jwtSecret).toEqual({ kind: 'arn', arn: ARN });
    });

    it('turns the JWKS off with JWKS_URL=none when a secret is set', () => {
      expect(loadAuthConfig({ SUPABASE_JWT_SECRET: 's', JWKS_URL: 'none' }).jwksUrl).toBeUndefined();
    });

    it('refuses a configuration that could verify no token', () => {
      expect(() => loadAuthConfig({ JWKS_URL: 'none' })).toThrow(/Missing required setting SUPABASE_JWT_SECRET/);
    });

    it('names SUPABASE_URL when neither it nor JWKS_URL is set', () => {
      expect(() => loadAuthConfig({ SUPABASE_JWT_SECRET: 's' })).toThrow('Missing required setting SUPABASE_URL (or JWKS_URL)');
    });

    it('never falls back to a default secret', () => {
      expect(loadAuthConfig({ SUPABASE_URL: 'https://p' }).jwtSecret).toBeUndefined();
    });
  });

  describe('loadConnectionsConfig', () => {
    it('names CONNECTIONS_TABLE when it is missing', () => {
      expect(() => loadConnectionsConfig({})).toThrow('Missing required setting CONNECTIONS_TABLE');
    });

    it('defaults the region and leaves the endpoint to the SDK', () => {
      expect(loadConnectionsConfig({ CONNECTIONS_TABLE: 't' })).toEqual({ tableName: 't', region: 'us-east-1' });
    });

    it('takes an endpoint override and the region', () => {
      expect(loadConnectionsConfig({ CONNECTIONS_TABLE: 't', DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567', AWS_REGION: 'eu-west-1' })).toEqual({
        tableName: 't',
        endpoint: 'http://127.0.0.1:4567',
        region: 'eu-west-1',
      });
    });
  });

  describe('loadManagementConfig', () => {
    it('names WS_MANAGEMENT_ENDPOINT when it is missing', () => {
      expect(() => loadManagementConfig({})).toThrow('Missing required setting WS_MANAGEMENT_ENDPOINT');
    });

    it('keeps the stage path of the @connections endpoint', () => {
      expect(loadManagementConfig({ WS_MANAGEMENT_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod', AWS_REGION: 'eu-west-1' })).toEqual({
        endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
        region: 'eu-west-1',
      });
    });
  });

  describe('loadWebhookConfig', () => {
    it('takes the secret directly or as an ARN', () => {
      expect(loadWebhookConfig({ WEBHOOK_SECRET: 'w' })).toEqual({ secret: { kind: 'value', value: 'w' } });
      expect(loadWebhookConfig({ WEBHOOK_SECRET_ARN: ARN })).toEqual({ secret: { kind: 'arn', arn: ARN } });
    });

    it('names both settings when neither is set', () => {
      expect(() => loadWebhookConfig({})).toThrow('Missing required setting WEBHOOK_SECRET (or WEBHOOK_SECRET_ARN)');
    });
  });

  describe('loadBroadcastConfig', () => {
    it('defaults to in-process fan-out', () => {
      expect(loadBroadcastConfig({})).toEqual({ concurrency: 32, pageSize: 250 });
    });

    it('takes the broadcaster function and limits', () => {
      expect(loadBroadcastConfig({ BROADCASTER_FUNCTION_NAME: 'fn', BROADCAST_CONCURRENCY: '64', BROADCAST_PAGE_SIZE: '100' })).toEqual({
        functionName: 'fn',
        concurrency: 64,
        pageSize: 100,
      });
    });

    it('refuses a zero concurrency', () => {
      expect(() => loadBroadcastConfig({ BROADCAST_CONCURRENCY: '0' })).toThrow(/BROADCAST_CONCURRENCY/);
    });

    it('takes a Lambda endpoint override (the local stage) only as a URL', () => {
      expect(loadBroadcastConfig({ BROADCASTER_FUNCTION_NAME: 'fn', LAMBDA_ENDPOINT: 'http://127.0.0.1:8080/' })).toMatchObject({ functionName: 'fn', lambdaEndpoint: 'http://127.0.0.1:8080' });
      expect(() => loadBroadcastConfig({ LAMBDA_ENDPOINT: 'not a url' })).toThrow(/LAMBDA_ENDPOINT/);
    });
  });
});
