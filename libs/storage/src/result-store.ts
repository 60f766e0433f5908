/**
 * The ResultStore port (DESIGN.md "Storage") and the rules every adapter shares: which ids and
 * artifact names are allowed, how a result is serialised, how a stored one is checked, and the
 * order `list` yields. Adapters (local files here, S3 later) import these so that they cannot
 * drift apart; the conformance suite in `./testing` checks that they do not.
 */
import { FramewatchError, UsageError } from '@framewatch/errors';
import type { AnalysisResult } from '@framewatch/pipeline';

/** Options of {@link ResultStore.list}. */
export interface ListResultsOptions {
  /** Most results to yield in total. Default: all. */
  limit?: number;
  /**
   * Yield only results whose id sorts after this one (exclusive cursor, like S3's `StartAfter`):
   * pass the last id you received to resume.
   */
  after?: string;
}

/**
 * Where finished analyses are kept: one `report.json` per analysis id, plus named artifacts
 * (`report.html`) next to it.
 *
 * Writes are idempotent and atomic: a result lives under a key derived from its id alone, a
 * retried `put` of the same content changes nothing, and concurrent writers of one id leave one
 * complete object (the last complete write wins; the JobStore's terminal state decides which
 * write is authoritative), never a torn one.
 *
 * @example
 * const store = createLocalResultStore({ dir: config.dataDir });
 * await store.put(result);
 * for await (const r of store.list({ limit: 20 })) console.log(r.id, r.status);
 */
export interface ResultStore {
  /**
   * Stores a result under its `id`. Idempotent; safe to retry.
   * @throws FramewatchError `USAGE` for an invalid id, `UNAVAILABLE` when storage fails.
   */
  put(result: AnalysisResult): Promise<void>;
  /**
   * The stored result, or `null` if there is none.
   * @throws FramewatchError `USAGE` for an invalid id, `INTERNAL` (naming the id) when the stored
   *   object is not a valid report, `UNAVAILABLE` when storage fails.
   */
  get(id: string): Promise<AnalysisResult | null>;
  /**
   * Every stored result in {@link compareResultIds} order, fetched lazily as the caller
   * iterates. Ids that have artifacts but no report yet are skipped.
   * @throws FramewatchError `USAGE` for a bad `limit` or `after`, and as {@link ResultStore.get}.
   */
  list(options?: ListResultsOptions): AsyncGenerator<AnalysisResult>;
  /**
   * Stores an artifact of a result (e.g. `report.html`) atomically and returns its locator: a
   * file path for the local store, an object key for S3. Idempotent; the locator depends only
   * on `id` and `name`.
   * @throws FramewatchError `USAGE` for an invalid id, name or content type, `UNAVAILABLE` when
   *   storage fails.
   */
  putArtifact(id: string, name: string, body: Uint8Array | string, contentType: string): Promise<string>;
}

/**
 * Allowed result ids and artifact names: a letter or digit, then up to 127 letters, digits, `.`,
 * `_` or `-`. This keeps them safe as path segments and S3 key segments: no `/`, no `..`, no
 * leading dot.
 */
export const RESULT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The artifact name reserved for the result itself. */
export const REPORT_NAME = 'report.json';

const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/;

/** Throws `USAGE` unless `id` matches {@link RESULT_ID_PATTERN}. */
export function assertResultId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !RESULT_ID_PATTERN.test(id)) {
    throw new UsageError(`invalid result id ${quote(id)}: it must match ${RESULT_ID_PATTERN}`);
  }
}

/** Throws `USAGE` unless `name` is a valid artifact name other than `report.json`. */
export function assertArtifactName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !RESULT_ID_PATTERN.test(name)) {
    throw new UsageError(`invalid artifact name ${quote(name)}: it must match ${RESULT_ID_PATTERN}`);
  }
  if (name === REPORT_NAME) throw new UsageError(`artifact name ${REPORT_NAME} is reserved for the result itself`);
}

/** Throws `USAGE` unless `contentType` looks like a MIME type (`type/subtype[; params]`). */
export function assertContentType(contentType: unknown): asserts contentType is string {
  if (typeof contentType !== 'string' || !CONTENT_TYPE_PATTERN.test(contentType)) {
    throw new UsageError(`invalid content type ${quote(contentType)}`);
  }
}

/** Checks {@link ListResultsOptions}, throwing `USAGE` on a bad value. */
export function checkListOptions(options: ListResultsOptions): { limit: number; after: string | undefined } {
  const { limit, after } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new UsageError(`invalid list limit ${quote(limit)}: it must be a non-negative integer`);
  }
  if (after !== undefined) assertResultId(after);
  return { limit: limit ?? Number.POSITIVE_INFINITY, after };
}

/**
 * The order `list` yields: by storage key `<id>/`, compared by UTF-16 code unit (which for the
 * ASCII ids allowed is byte order, S3's listing order). This is id order except that an id
 * sorts after ids extending it with `-` or `.` (`a-b`, `a.b` before `a`), because those
 * characters sort before `/`; adapters over S3 get this order for free, the local one sorts to it.
 *
 * @example
 * ['a', 'a.b', 'b'].sort(compareResultIds); // ['a.b', 'a', 'b']
 */
export function compareResultIds(a: string, b: string): number {
  const ka = `${a}/`;
  const kb = `${b}/`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The stored form of a result: pretty JSON with a trailing newline. Deterministic for a given
 * object, so that a retried write produces the same bytes and can be recognised as a no-op.
 */
export function serializeResult(result: AnalysisResult): string {
  if (typeof result !== 'object' || result === null) throw new UsageError('result must be an object');
  assertResultId(result.id);
  if (result.schemaVersion !== 1) throw new UsageError(`result ${result.id} has schemaVersion ${quote(result.schemaVersion)}; this store writes 1`);
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * Parses and sanity-checks a stored result.
 * @throws FramewatchError `INTERNAL` naming the id when the text is not a report v1 for `id`.
 */
export function parseStoredResult(id: string, text: string): AnalysisResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(id, `not valid JSON (${(err as Error).message})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(id, 'not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.schemaVersion !== 1) throw corrupt(id, `schemaVersion is ${quote(record.schemaVersion)}, not 1`);
  if (record.id !== id) throw corrupt(id, `it holds the result of ${quote(record.id)}`);
  if (typeof record.status !== 'string') throw corrupt(id, 'status is missing');
  if (typeof record.media !== 'object' || record.media === null) throw corrupt(id, 'media is missing');
  if (typeof record.stats !== 'object' || record.stats === null) throw corrupt(id, 'stats is missing');
  if (!Array.isArray(record.defects)) throw corrupt(id, 'defects is not an array');
  return value as AnalysisResult;
}

function corrupt(id: string, reason: string, cause?: unknown): FramewatchError {
  return new FramewatchError('INTERNAL', `stored result ${id} is corrupt: ${reason}`, { cause, detail: { id } });
}

function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 140 ? `${value.slice(0, 140)}…` : value);
  return String(value);
}
