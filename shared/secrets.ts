/**
 * Secrets given directly (local stage, tests) or as a Secrets Manager ARN (deployed stacks),
 * resolved through Powertools Parameters' Secrets Manager provider and read once per cold
 * start: concurrent first calls share one fetch, and a failed fetch is retried on the next call.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

export type SecretSource =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'arn'; readonly arn: string };

export class SecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

/** The part of the Powertools provider this module uses (a stub in tests). */
export interface SecretFetcher {
  get(name: string, options: { maxAge: number }): Promise<string | Uint8Array | undefined>;
}

export interface SecretResolverOptions {
  /** @default a `SecretsProvider` with the default SDK client, built on first ARN use */
  readonly provider?: SecretFetcher;
}

/** Cached for the life of the process (Powertools' cache needs a finite age: one year). */
const CACHE_SECONDS = 365 * 24 * 3600;

export type SecretResolver = (source: SecretSource) => Promise<string>;

/**
 * @example
 * const resolve = createSecretResolver({ provider: new SecretsProvider({ awsSdkV3Client: client }) });
 * const key = await resolve({ kind: 'arn', arn });
 */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  let provider = options.provider;
  const cache = new Map<string, Promise<string>>();

  async function fetchSecret(arn: string): Promise<string> {
    provider ??= new SecretsProvider();
    let value: string | Uint8Array | undefined;
    try {
      value = await provider.get(arn, { maxAge: CACHE_SECONDS });
    } catch (error) {
      throw new SecretUnavailableError(`could not read secret ${secretName(arn)}`, { cause: error });
    }
    const text = typeof value === 'string' ? value : value === undefined ? '' : new TextDecoder().decode(value);
    if (text.length === 0) throw new SecretUnavailableError(`secret ${secretName(arn)} is empty`);
    return text;
  }

  return async (source) => {
    if (source.kind === 'value') return source.value;
    let pending = cache.get(source.arn);
    if (!pending) {
      pending = fetchSecret(source.arn);
      cache.set(source.arn, pending);
      pending.catch(() => cache.delete(source.arn));
    }
    return pending;
  };
}

/** The secret's name for messages (never its value). */
const secretName = (arn: string): string => arn.split(':secret:')[1] ?? 'from ARN';

/** The process-wide resolver. */
export const resolveSecret: SecretResolver = createSecretResolver();
