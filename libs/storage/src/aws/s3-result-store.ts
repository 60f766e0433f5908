/**
 * The S3 ResultStore (DESIGN.md "Storage": results bucket).
 *
 * Layout: `<prefix>results/<id>/report.json` and `<prefix>results/<id>/<artifact>`. Keys depend
 * on the id (and artifact name) alone, so a retried write lands on the same key and can never
 * leave two different results behind (RELIABILITY R8); S3 makes each PUT (or completed
 * multipart upload) visible atomically, so readers see one complete version, and the last
 * complete write wins as the port promises. No `If-None-Match`: a later write with different
 * content must replace the earlier one (the JobStore decides which write is authoritative).
 *
 * `list` pages through the keys under `<prefix>results/` with ListObjectsV2 and reads each
 * `report.json` it meets, so it yields in S3 key order, which is {@link compareResultIds} order.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UsageError } from '@framewatch/errors';
import type { AnalysisResult } from '@framewatch/pipeline';
import {
  type ListResultsOptions,
  REPORT_NAME,
  RESULT_ID_PATTERN,
  type ResultStore,
  assertArtifactName,
  assertContentType,
  assertResultId,
  checkListOptions,
  parseStoredResult,
  serializeResult,
} from '../result-store';
import {
  type S3MultipartOptions,
  assertBucketName,
  assertS3Prefix,
  getObjectBytes,
  putObjectBytes,
  resolveMultipart,
  s3Unavailable,
} from './s3-objects';

/** Options of {@link createS3ResultStore}. */
export interface S3ResultStoreOptions extends S3MultipartOptions {
  /**
   * The S3 client, created once by the app (region, credentials, retries, timeouts). Set
   * `requestChecksumCalculation`/`responseChecksumValidation` to `WHEN_REQUIRED` for s3rver.
   */
  client: S3Client;
  /** The results bucket; it must exist. */
  bucket: string;
  /** Key prefix for every object, empty or ending in `/` (e.g. `prod/`). Default `''`. */
  prefix?: string;
  /** `MaxKeys` of each ListObjectsV2 page, 1–1000. Default 1000. */
  listPageSize?: number;
}

/**
 * A character that sorts after every character of a valid id or artifact name, used to start a
 * listing after all keys of one id: `results/<after>/~` > `results/<after>/<anything valid>`.
 */
const AFTER_ALL_NAMES = '~';

/**
 * Creates the S3 {@link ResultStore}. Artifact locators are object keys
 * (`<prefix>results/<id>/<name>`); artifacts keep their content type. Errors: see `s3-objects.ts`
 * (`UNAVAILABLE` for every storage failure, access errors included, with `detail.awsCode`).
 *
 * @example
 * const results = createS3ResultStore({ client: s3Client, bucket: config.resultsBucket, prefix: 'prod/' });
 * await results.put(result);
 * const key = await results.putArtifact(result.id, 'report.html', html, 'text/html; charset=utf-8');
 * for await (const r of results.list({ limit: 20 })) console.log(r.id, r.status);
 */
export function createS3ResultStore(options: S3ResultStoreOptions): ResultStore {
  const { client, bucket } = options;
  const prefix = options.prefix ?? '';
  assertBucketName(bucket);
  assertS3Prefix(prefix);
  const multipart = resolveMultipart(options);
  const pageSize = options.listPageSize ?? 1000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new UsageError(`invalid listPageSize ${String(pageSize)}: it must be 1–1000`);
  const base = `${prefix}results/`;
  const keyOf = (id: string, name: string): string => `${base}${id}/${name}`;

  async function write(id: string, name: string, bytes: Uint8Array, contentType: string): Promise<string> {
    const key = keyOf(id, name);
    try {
      await putObjectBytes({ client, bucket, key, contentType, multipart }, bytes);
    } catch (err) {
      throw s3Unavailable(`cannot write ${name} of result ${id}`, err, { id });
    }
    return key;
  }

  async function read(id: string): Promise<AnalysisResult | null> {
    let bytes: Uint8Array | null;
    try {
      bytes = await getObjectBytes(client, bucket, keyOf(id, REPORT_NAME));
    } catch (err) {
      throw s3Unavailable(`cannot read result ${id}`, err, { id });
    }
    if (bytes === null) return null;
    return parseStoredResult(id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  }

  return {
    async put(result) {
      const text = serializeResult(result);
      await write(result.id, REPORT_NAME, Buffer.from(text, 'utf8'), 'application/json');
    },

    async get(id) {
      assertResultId(id);
      return read(id);
    },

    async *list(listOptions: ListResultsOptions = {}) {
      const { limit, after } = checkListOptions(listOptions);
      if (limit === 0) return;
      let yielded = 0;
      let continuationToken: string | undefined;
      const startAfter = after === undefined ? undefined : `${base}${after}/${AFTER_ALL_NAMES}`;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: base,
              MaxKeys: pageSize,
              ...(continuationToken === undefined ? { StartAfter: startAfter } : { ContinuationToken: continuationToken }),
            }),
          );
        } catch (err) {
          throw s3Unavailable('cannot list results', err);
        }
        for (const object of page.Contents ?? []) {
          const id = reportIdOf(object.Key, base);
          if (id === undefined) continue;
          // Deleted between the listing and the read: skip, as if listed a moment later.
          const result = await read(id);
          if (result === null) continue;
          yield result;
          if (++yielded >= limit) return;
        }
        continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    },

    async putArtifact(id, name, body, contentType) {
      assertResultId(id);
      assertArtifactName(name);
      assertContentType(contentType);
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      return write(id, name, bytes, contentType);
    },
  };
}

/** The id of a `<base><id>/report.json` key; undefined for artifacts and foreign keys. */
function reportIdOf(key: string | undefined, base: string): string | undefined {
  if (key === undefined || !key.startsWith(base)) return undefined;
  const rest = key.slice(base.length);
  const slash = rest.indexOf('/');
  if (slash < 0 || rest.slice(slash + 1) !== REPORT_NAME) return undefined;
  const id = rest.slice(0, slash);
  return RESULT_ID_PATTERN.test(id) ? id : undefined;
}
