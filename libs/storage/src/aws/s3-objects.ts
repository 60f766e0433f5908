/**
 * What the S3 adapters (ResultStore, FrameHandoff) share: prefix rules, whole-object writes and
 * reads, and how SDK errors become {@link FramewatchError}s.
 *
 * Error policy (the same for every S3 adapter):
 * - `NoSuchKey` (and a bare 404) is "absent": the caller turns it into `null` or `NOT_FOUND`.
 * - Everything else is `UNAVAILABLE`, with the S3 error name and HTTP status in `detail`:
 *   network errors, timeouts, throttling and 5xx (the SDK has already retried those), but also
 *   `AccessDenied`, a bad signature or `NoSuchBucket`. Those last ones are *our* deployment's
 *   misconfiguration, not the API caller's lack of permission, so `FORBIDDEN` (an HTTP 403 to the
 *   caller, "your credential does not allow this") would mislead and leak infrastructure detail;
 *   `detail.retryable: false` tells an operator or a retry loop that waiting will not help.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FramewatchError, UsageError } from '@framewatch/errors';

/** Objects larger than this go up as a multipart upload (`@aws-sdk/lib-storage` `Upload`). */
export const S3_MULTIPART_THRESHOLD = 8 * 1024 * 1024;

/** Smallest part S3 accepts (except the last). */
const minPartSize = 5 * 1024 * 1024;

/** Multipart tuning shared by the S3 adapters' options. */
export interface S3MultipartOptions {
  /** Bodies larger than this many bytes use a multipart upload. Default {@link S3_MULTIPART_THRESHOLD}. */
  multipartThreshold?: number;
  /** Part size of a multipart upload, at least 5 MiB. Default: the threshold (at least 5 MiB). */
  partSize?: number;
}

/** Allowed key prefixes: empty, or `/`-terminated segments of the characters ids may use. */
export const S3_PREFIX_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)*$/;

/** Throws `USAGE` unless `prefix` matches {@link S3_PREFIX_PATTERN} (e.g. `''`, `prod/`, `team-a/fw/`). */
export function assertS3Prefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > 512 || !S3_PREFIX_PATTERN.test(prefix)) {
    throw new UsageError(`invalid S3 key prefix ${JSON.stringify(prefix)}: it must be empty or end with "/", e.g. "prod/"`);
  }
}

/** Throws `USAGE` unless `bucket` is a non-empty name without `/` (S3 itself checks the rest). */
export function assertBucketName(bucket: unknown): asserts bucket is string {
  if (typeof bucket !== 'string' || bucket.length === 0 || bucket.length > 255 || bucket.includes('/')) {
    throw new UsageError(`invalid S3 bucket name ${JSON.stringify(bucket)}`);
  }
}

/** Checks {@link S3MultipartOptions} and fills in the defaults. */
export function resolveMultipart(options: S3MultipartOptions): { threshold: number; partSize: number } {
  const threshold = options.multipartThreshold ?? S3_MULTIPART_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 0) throw new UsageError(`invalid multipartThreshold ${String(threshold)}`);
  const partSize = options.partSize ?? Math.max(threshold, minPartSize);
  if (!Number.isSafeInteger(partSize) || partSize < minPartSize) throw new UsageError(`invalid partSize ${String(partSize)}: S3 parts are at least ${minPartSize} bytes`);
  return { threshold, partSize };
}

/** Where an object goes and how. */
export interface PutTarget {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  multipart: { threshold: number; partSize: number };
}

/**
 * Writes `bytes` as one object: a single PutObject up to the threshold, a multipart upload
 * above it (aborted on failure, so no orphaned parts are left). Either way S3 makes the object
 * visible atomically, complete or not at all. Throws the SDK error as is.
 */
export async function putObjectBytes(target: PutTarget, bytes: Uint8Array): Promise<void> {
  const { client, bucket, key, contentType, multipart } = target;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (body.byteLength <= multipart.threshold) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }));
    return;
  }
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
    partSize: multipart.partSize,
    queueSize: 4,
    leavePartsOnError: false,
  });
  await upload.done();
}

/** Reads a whole object, or returns `null` when it does not exist. Throws other SDK errors as is. */
export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array | null> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (response.Body === undefined) return new Uint8Array(0);
    return await response.Body.transformToByteArray();
  } catch (err) {
    if (isNoSuchKey(err)) return null;
    throw err;
  }
}

/** True for "the object does not exist" (NoSuchKey, or a 404 without a body on HEAD). */
export function isNoSuchKey(err: unknown): boolean {
  const name = describeAwsError(err).awsCode;
  return name === 'NoSuchKey' || (name === 'NotFound' && httpStatusOf(err) === 404);
}

const notRetryable = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'NoSuchBucket',
  'InvalidBucketName',
  'AccountProblem',
]);

/**
 * Wraps an SDK (or body stream) error as `UNAVAILABLE` (see the module comment for why access
 * errors are not `FORBIDDEN`). `detail` gets the S3 error name, the HTTP status, the SDK's
 * attempt count and whether retrying can help.
 */
export function s3Unavailable(message: string, cause: unknown, detail: Record<string, unknown> = {}): FramewatchError {
  const { awsCode, networkCode } = describeAwsError(cause);
  const httpStatus = httpStatusOf(cause);
  const attempts = metadataOf(cause)?.attempts;
  const retryable = !(notRetryable.has(awsCode) || httpStatus === 403);
  const what = `${awsCode}${networkCode === undefined ? '' : ` ${networkCode}`}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}`;
  return new FramewatchError('UNAVAILABLE', `${message}: S3 ${what}`, {
    cause,
    detail: { ...detail, awsCode, ...(networkCode === undefined ? {} : { networkCode }), ...(httpStatus === undefined ? {} : { httpStatus }), ...(attempts === undefined ? {} : { attempts }), retryable },
  });
}

/**
 * The S3/SDK error name (`NoSuchKey`, `TimeoutError`, …) and, for network failures, the errno
 * (`ECONNRESET`, `ETIMEDOUT`; the SDK names those `TimeoutError` too).
 */
export function describeAwsError(err: unknown): { awsCode: string; networkCode?: string } {
  if (typeof err !== 'object' || err === null) return { awsCode: 'UnknownError' };
  const record = err as { name?: unknown; code?: unknown; Code?: unknown; message?: unknown };
  const message = typeof record.message === 'string' ? record.message : '';
  // The SDK wraps a thrown value that is not an `Error` of its realm (as under Jest's sandbox)
  // in "AWS SDK error wrapper for <name>: <message>", dropping its fields: recover them.
  const wrapped = /^AWS SDK error wrapper for (\w+)/.exec(message);
  const networkError = wrapped !== null || record.name === 'TimeoutError';
  const errno = typeof record.code === 'string' && /^E[A-Z]{3,}$/.test(record.code) ? record.code : networkError ? /\b(E[A-Z]{3,})\b/.exec(message)?.[1] : undefined;
  let awsCode = 'UnknownError';
  if (typeof record.name === 'string' && record.name !== 'Error') awsCode = record.name;
  else if (typeof record.Code === 'string') awsCode = record.Code;
  else if (wrapped) awsCode = wrapped[1];
  else if (typeof record.code === 'string') awsCode = record.code;
  else if (errno !== undefined) awsCode = errno;
  return errno === undefined ? { awsCode } : { awsCode, networkCode: errno };
}

function metadataOf(err: unknown): { httpStatusCode?: number; attempts?: number } | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  return (err as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
}

function httpStatusOf(err: unknown): number | undefined {
  return metadataOf(err)?.httpStatusCode;
}
