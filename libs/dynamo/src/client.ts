/**
 * The one way Framewatch builds a DynamoDB document client (STYLE.md "AWS clients").
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { FramewatchError } from '@framewatch/errors';

/** Client config plus the timeouts and retry settings every Framewatch client sets. */
export interface DynamoClientConfig extends Omit<DynamoDBClientConfig, 'maxAttempts' | 'retryMode'> {
  /** TCP connect timeout. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Whole-request timeout; it throws a `TimeoutError` (`throwOnRequestTimeout`). Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Attempts per call including the first. Default 3. */
  maxAttempts?: number;
  /** SDK retry mode. Default `standard`. */
  retryMode?: 'standard' | 'adaptive';
}

/** Either an injected client or config to build one; never both (STYLE.md). */
export type DocumentClientOptions =
  | { client: DynamoDBClient; clientConfig?: never }
  | { clientConfig: DynamoClientConfig; client?: never };

/** Marshalling used by every Framewatch document client. */
export const DOCUMENT_TRANSLATE_CONFIG = {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: false },
} as const satisfies TranslateConfig;

/** Defaults applied on the `clientConfig` path. */
export const DYNAMO_CLIENT_DEFAULTS = {
  connectTimeoutMs: 1000,
  requestTimeoutMs: 5000,
  maxAttempts: 3,
  retryMode: 'standard',
} as const;

/**
 * Builds a {@link DynamoDBDocumentClient}. With `client`, decorates it as is. With
 * `clientConfig`, creates the client with a retry mode and attempt count and a Node HTTP handler
 * whose connect and request timeouts really fail the call (`throwOnRequestTimeout: true`; by
 * default the SDK only logs a warning and a silent server hangs the call for minutes). On that
 * path the returned client owns the client it built: its `destroy()` closes it (an injected
 * client stays the caller's to destroy).
 *
 * @throws FramewatchError `USAGE` when both or neither of `client`/`clientConfig` are given, or
 *   when `clientConfig` sets its own `requestHandler` together with timeout options.
 * @example
 * const doc = createDocumentClient({
 *   clientConfig: { region: 'eu-west-1', endpoint: config.dynamoEndpoint, maxAttempts: 3, requestTimeoutMs: 2000 },
 * });
 */
export function createDocumentClient(options: DocumentClientOptions): DynamoDBDocumentClient {
  const hasClient = 'client' in options && options.client !== undefined;
  const hasConfig = 'clientConfig' in options && options.clientConfig !== undefined;
  if (hasClient === hasConfig) throw new FramewatchError('USAGE', 'pass exactly one of client or clientConfig');
  if (hasClient) return DynamoDBDocumentClient.from(options.client as DynamoDBClient, DOCUMENT_TRANSLATE_CONFIG);
  const client = new DynamoDBClient(toClientConfig(options.clientConfig as DynamoClientConfig));
  const doc = DynamoDBDocumentClient.from(client, DOCUMENT_TRANSLATE_CONFIG);
  // The document client's own destroy() is a no-op; here it owns the client it built, so closing
  // it must release that client's sockets.
  doc.destroy = () => client.destroy();
  return doc;
}

/**
 * The SDK config that {@link createDocumentClient} builds from {@link DynamoClientConfig}
 * (exported so that tests can check the handler options without sending a request).
 *
 * @example
 * toClientConfig({ region: 'local', requestTimeoutMs: 500 }).requestHandler;
 * // { connectionTimeout: 1000, requestTimeout: 500, throwOnRequestTimeout: true }
 */
export function toClientConfig(config: DynamoClientConfig): DynamoDBClientConfig {
  const { connectTimeoutMs, requestTimeoutMs, maxAttempts, retryMode, ...rest } = config;
  const timeoutsGiven = connectTimeoutMs !== undefined || requestTimeoutMs !== undefined;
  if (rest.requestHandler !== undefined && timeoutsGiven) {
    throw new FramewatchError('USAGE', 'clientConfig sets both requestHandler and connectTimeoutMs/requestTimeoutMs');
  }
  for (const [name, value] of Object.entries({ connectTimeoutMs, requestTimeoutMs, maxAttempts })) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < (name === 'maxAttempts' ? 1 : 0))) {
      throw new FramewatchError('USAGE', `${name} must be a ${name === 'maxAttempts' ? 'positive' : 'non-negative'} integer`);
    }
  }
  return {
    ...rest,
    maxAttempts: maxAttempts ?? DYNAMO_CLIENT_DEFAULTS.maxAttempts,
    retryMode: retryMode ?? DYNAMO_CLIENT_DEFAULTS.retryMode,
    requestHandler: rest.requestHandler ?? {
      connectionTimeout: connectTimeoutMs ?? DYNAMO_CLIENT_DEFAULTS.connectTimeoutMs,
      requestTimeout: requestTimeoutMs ?? DYNAMO_CLIENT_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
