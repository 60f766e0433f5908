/**
 * S3 clients for the e2e tests, configured the way an app's `main.ts` would (TOOLCHAIN.md):
 * path-style addressing, checksums only when required (else s3rver corrupts streamed uploads),
 * explicit attempts and timeouts, and `throwOnRequestTimeout` so a silent upstream fails fast.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RVER_CREDENTIALS } from '@framewatch/emulators';

/** Options of {@link makeS3Client}. */
export interface TestS3ClientOptions {
  /** s3rver's endpoint, or a fault proxy's in front of it. */
  endpoint: string;
  /** Total attempts per call, first one included. Default 3. */
  maxAttempts?: number;
  /** Per-attempt request timeout. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Default: s3rver's built-in account. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A fresh S3 client (fresh retry quota too, so one test's faults cannot starve the next).
 *
 * @example
 * const client = makeS3Client({ endpoint: s3.endpoint, maxAttempts: 3 });
 */
export function makeS3Client(options: TestS3ClientOptions): S3Client {
  const requestTimeout = options.requestTimeoutMs ?? 5000;
  return new S3Client({
    endpoint: options.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: options.credentials ?? { ...S3RVER_CREDENTIALS },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? 3,
    // The options object form builds the SDK's NodeHttpHandler; importing @smithy/node-http-handler
    // directly would be a transitive dependency (not in package.json).
    requestHandler: { connectionTimeout: 1000, requestTimeout, throwOnRequestTimeout: true },
  });
}

/** Reads an object's bytes straight from the bucket, bypassing the adapters. */
export async function readS3Object(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
}

/** Writes an object straight into the bucket, bypassing the adapters. */
export async function writeS3Object(client: S3Client, bucket: string, key: string, body: string | Uint8Array): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Every key under `prefix`, following continuation tokens. */
export async function listS3Keys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}
