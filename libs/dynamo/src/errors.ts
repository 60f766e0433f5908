/**
 * DynamoDB failures as {@link FramewatchError}s with stable codes, so callers branch on `code`
 * and never on SDK class names.
 */
import { FramewatchError } from '@framewatch/errors';

/** Why a call ended `UNAVAILABLE` (`detail.reason`). */
export const UnavailableReason = {
  /** Throttled: ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded. */
  throttled: 'throttled',
  /** The request or connection timed out (the client throws on request timeout). */
  timeout: 'timeout',
  /** The connection failed or was reset. */
  network: 'network',
  /** The service answered with a 5xx. */
  server: 'server',
} as const;

/** One of the {@link UnavailableReason} values. */
export type UnavailableReason = (typeof UnavailableReason)[keyof typeof UnavailableReason];

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
]);
const VALIDATION = new Set(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const SERVER = new Set(['InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalFailure']);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** Whether `err` is DynamoDB's "the condition did not hold" (a lost conditional write). */
export function isConditionalCheckFailed(err: unknown): boolean {
  return (
    (err instanceof FramewatchError && err.code === 'CONFLICT' && err.detail['awsError'] === 'ConditionalCheckFailedException') ||
    (typeof err === 'object' && err !== null && (err as SdkLikeError).name === 'ConditionalCheckFailedException')
  );
}

/**
 * Maps an error from the AWS SDK (or the network under it) to a {@link FramewatchError}:
 * ConditionalCheckFailed → `CONFLICT`; throttling → `UNAVAILABLE` with `detail.reason`
 * `throttled`; ResourceNotFound → `NOT_FOUND`; timeouts, resets and 5xx → `UNAVAILABLE`
 * (`timeout`, `network`, `server`); validation → `USAGE`; AccessDenied → `FORBIDDEN`; bad
 * credentials → `UNAUTHENTICATED`; anything else → `INTERNAL`. `detail` carries the SDK error
 * name and the attempt count when known. A FramewatchError passes through unchanged.
 *
 * @example
 * try {
 *   await doc.send(new PutCommand(input));
 * } catch (err) {
 *   throw toDynamoError('save the job', err);
 * }
 */
export function toDynamoError(what: string, err: unknown): FramewatchError {
  if (err instanceof FramewatchError) return err;
  const outer = (typeof err === 'object' && err !== null ? err : {}) as SdkLikeError & { cause?: unknown };
  // The SDK wraps transport failures ("AWS SDK error wrapper for TimeoutError: read ECONNRESET")
  // and keeps the Node error as `cause`; classify by the cause, keep the wrapper's metadata.
  const wrapped = /^AWS SDK error wrapper/.test(String(outer.message ?? '')) && typeof outer.cause === 'object' && outer.cause !== null;
  const e: SdkLikeError = wrapped ? { ...(outer.cause as SdkLikeError), message: (outer.cause as Error).message, name: (outer.cause as Error).name, $metadata: outer.$metadata } : outer;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = e.$metadata?.httpStatusCode;
  const detail: Record<string, unknown> = { awsError: name };
  if (e.$metadata?.attempts !== undefined) detail['attempts'] = e.$metadata.attempts;
  const unavailable = (reason: UnavailableReason): FramewatchError =>
    new FramewatchError('UNAVAILABLE', `cannot ${what}: DynamoDB ${reason} (${code ?? name})`, { cause: err, detail: { ...detail, reason } });

  if (name === 'ConditionalCheckFailedException') {
    return new FramewatchError('CONFLICT', `cannot ${what}: the condition did not hold`, { cause: err, detail });
  }
  if (THROTTLED.has(name)) return unavailable(UnavailableReason.throttled);
  if (name === 'ResourceNotFoundException') return new FramewatchError('NOT_FOUND', `cannot ${what}: table or index not found`, { cause: err, detail });
  if (VALIDATION.has(name)) return new FramewatchError('USAGE', `cannot ${what}: DynamoDB rejected the request (${name})`, { cause: err, detail });
  if (name === 'AccessDeniedException' || status === 403) return new FramewatchError('FORBIDDEN', `cannot ${what}: access denied`, { cause: err, detail });
  if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException' || name === 'ExpiredTokenException' || status === 401) {
    return new FramewatchError('UNAUTHENTICATED', `cannot ${what}: credentials rejected (${name})`, { cause: err, detail });
  }
  // The HTTP handler names resets "TimeoutError" too: look at the socket error code first.
  if (code !== undefined && code !== 'ETIMEDOUT' && NETWORK_CODES.has(code)) return unavailable(UnavailableReason.network);
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT' || code === 'TimeoutError') return unavailable(UnavailableReason.timeout);
  if (/socket hang up|ECONNRESET|EPIPE/i.test(String(e.message ?? ''))) return unavailable(UnavailableReason.network);
  if (SERVER.has(name) || (status !== undefined && status >= 500)) return unavailable(UnavailableReason.server);
  return new FramewatchError('INTERNAL', `cannot ${what}: unexpected DynamoDB error (${name})`, { cause: err, detail });
}
