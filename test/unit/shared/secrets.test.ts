import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretUnavailableError, createSecretResolver } from '../../../shared/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staff-sync/jwt-AbCdEf';

describe('secrets', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  const resolverWithSdk = () =>
    createSecretResolver({ provider: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }) });

  it('returns a direct value without calling AWS', async () => {
    await expect(resolverWithSdk()({ kind: 'value', value: 'direct' })).resolves.toBe('direct');
    expect(sm.calls()).toHaveLength(0);
  });

  it('reads an ARN through Secrets Manager once per process', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'from-aws' });
    const resolve = resolverWithSdk();
    const values = await Promise.all([resolve({ kind: 'arn', arn: ARN }), resolve({ kind: 'arn', arn: ARN })]);
    await resolve({ kind: 'arn', arn: ARN });
    expect(values).toEqual(['from-aws', 'from-aws']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('decodes a binary secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode('bin-secret') });
    await expect(resolverWithSdk()({ kind: 'arn', arn: ARN })).resolves.toBe('bin-secret');
  });

  it('fails with the secret name, not its value, and retries on the next call', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: 'second-try' });
    const resolve = resolverWithSdk();
    const failure = resolve({ kind: 'arn', arn: ARN });
    await expect(failure).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(failure).rejects.toThrow('could not read secret staff-sync/jwt-AbCdEf');
    await expect(resolve({ kind: 'arn', arn: ARN })).resolves.toBe('second-try');
  });

  it('refuses an empty secret', async () => {
    const resolve = createSecretResolver({ provider: { get: async () => '' } });
    await expect(resolve({ kind: 'arn', arn: ARN })).rejects.toThrow('secret staff-sync/jwt-AbCdEf is empty');
  });
});
