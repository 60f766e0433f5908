/**
 * The S3 FrameHandoff (DESIGN.md "Storage": frames bucket, `services-s3` topology).
 *
 * Layout: frame key `k` is the object `<prefix>frames/<k>`. Keys follow the shared
 * {@link assertFrameKey} rules, so a key valid for the local handoff is valid here and cannot
 * leave the prefix. S3 has no directories, so key `a` and key `a/b` coexist naturally, and a
 * PUT is atomic, so a reader sees the old object or the new one, never a torn one.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FramewatchError } from '@framewatch/errors';
import { assertFrameKey } from '../frame-key';
import type { FrameHandoff } from '../job-store';
import { type S3MultipartOptions, assertBucketName, assertS3Prefix, getObjectBytes, putObjectBytes, resolveMultipart, s3Unavailable } from './s3-objects';

/** Options of {@link createS3FrameHandoff}. */
export interface S3FrameHandoffOptions extends S3MultipartOptions {
  /** The S3 client, created once by the app. */
  client: S3Client;
  /** The frames bucket; it must exist. A lifecycle rule expiring `frames/` is a good safety net. */
  bucket: string;
  /** Key prefix, empty or ending in `/`. Default `''`. */
  prefix?: string;
}

const contentType = 'application/octet-stream';

/**
 * Creates the S3 {@link FrameHandoff}. `stats()` counts every call that passed key validation
 * (a `get` of a missing key and a `delete` of one included, as S3 bills them) and the bytes
 * actually written and read. Errors: `NOT_FOUND` from `get` of a missing key, `USAGE` for a bad
 * key, `UNAVAILABLE` for every storage failure (see `s3-objects.ts`).
 *
 * @example
 * const frames = createS3FrameHandoff({ client: s3Client, bucket: config.framesBucket });
 * await frames.put('an-42/video/000017.fwf', encodedBatch);
 * const batch = await frames.get('an-42/video/000017.fwf');
 * await frames.delete('an-42/video/000017.fwf');
 */
export function createS3FrameHandoff(options: S3FrameHandoffOptions): FrameHandoff {
  const { client, bucket } = options;
  const prefix = options.prefix ?? '';
  assertBucketName(bucket);
  assertS3Prefix(prefix);
  const multipart = resolveMultipart(options);
  const counts = { puts: 0, gets: 0, deletes: 0, bytesWritten: 0, bytesRead: 0 };
  const objectKey = (key: string): string => `${prefix}frames/${key}`;

  return {
    async put(key, bytes) {
      assertFrameKey(key);
      if (!(bytes instanceof Uint8Array)) throw new FramewatchError('USAGE', 'frame handoff bytes must be a Uint8Array');
      counts.puts += 1;
      try {
        await putObjectBytes({ client, bucket, key: objectKey(key), contentType, multipart }, bytes);
      } catch (err) {
        throw s3Unavailable(`cannot write frame object ${key}`, err, { key });
      }
      counts.bytesWritten += bytes.byteLength;
    },

    async get(key) {
      assertFrameKey(key);
      counts.gets += 1;
      let bytes: Uint8Array | null;
      try {
        bytes = await getObjectBytes(client, bucket, objectKey(key));
      } catch (err) {
        throw s3Unavailable(`cannot read frame object ${key}`, err, { key });
      }
      if (bytes === null) throw new FramewatchError('NOT_FOUND', `frame object ${key} does not exist`, { detail: { key } });
      counts.bytesRead += bytes.byteLength;
      return bytes;
    },

    async delete(key) {
      assertFrameKey(key);
      counts.deletes += 1;
      try {
        // S3 answers 204 for a missing key too: deleting twice is not an error.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      } catch (err) {
        throw s3Unavailable(`cannot delete frame object ${key}`, err, { key });
      }
    },

    stats() {
      return { ...counts };
    },
  };
}
