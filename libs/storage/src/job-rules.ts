/**
 * Rules every JobStore adapter shares (SQLite now, DynamoDB later): which ids, owners, leases
 * and outcomes are valid, how a job id is generated, and how a submitted payload is hashed for
 * idempotency (R5/R6). Adapters import these so that they cannot drift apart; the conformance
 * suite in `./testing` checks that they do not.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '@framewatch/errors';
import { type JobEventType, JobEventType as JobEventTypes, type JobOutcome, type ListJobsOptions, type NewJob } from './job-store';
import { RESULT_ID_PATTERN } from './result-store';

/**
 * Allowed job ids: the result id pattern, because a job's result is stored under its id.
 */
export const JOB_ID_PATTERN = RESULT_ID_PATTERN;

/** Allowed lease owners (worker ids): printable ASCII without spaces, at most 200 characters. */
export const LEASE_OWNER_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** The longest lease a claim or heartbeat may ask for: one day. */
export const MAX_LEASE_SEC = 86_400;

/** Default and largest page of {@link JobStore.listEvents}. */
export const EVENTS_PAGE_LIMIT = 1000;

const ID_TIME_WIDTH = 9; // base36 ms: 9 digits last until the year 5188
const ID_RANDOM_WIDTH = 12;
const ID_RANDOM_SPACE = 36n ** BigInt(ID_RANDOM_WIDTH);

/**
 * Creates a generator of job ids `an-<time><random>`: 9 base36 digits of the clock in ms, then 12
 * base36 random digits. Ids from one generator sort strictly in creation order even within one
 * millisecond or when the clock steps back (the random part is incremented, as ULID does), and
 * ids from different processes sort by time to the millisecond.
 *
 * @example
 * const nextId = createJobIdGenerator(() => Date.now());
 * nextId(); // 'an-mbz3k2a0x4f9q1c7e2kd'
 */
export function createJobIdGenerator(now: () => number): () => string {
  let lastMs = -1;
  let lastRandom = 0n;
  return () => {
    const ms = Math.max(0, Math.floor(now()));
    if (ms > lastMs) {
      lastMs = ms;
      lastRandom = BigInt(`0x${randomBytes(8).toString('hex')}`) % (ID_RANDOM_SPACE / 2n);
    } else {
      // Same (or an earlier) millisecond: stay on lastMs and count up, so order holds.
      lastRandom = (lastRandom + 1n) % ID_RANDOM_SPACE;
    }
    return `an-${lastMs.toString(36).padStart(ID_TIME_WIDTH, '0')}${lastRandom.toString(36).padStart(ID_RANDOM_WIDTH, '0')}`;
  };
}

/**
 * The hash of what a job asks for (source and detectors), which tells a replayed submission from
 * a conflicting reuse of its idempotency key. Key order of objects does not matter, nor does the
 * order or repetition of detector names; absent detectors (all) differ from an empty list.
 *
 * @example
 * jobPayloadHash({ source: { url: 'https://x/a.mp4' }, detectors: ['freeze', 'black'] }) ===
 *   jobPayloadHash({ source: { url: 'https://x/a.mp4' }, detectors: ['black', 'freeze'] }); // true
 */
export function jobPayloadHash(job: Pick<NewJob, 'source' | 'detectors'>): string {
  const detectors = job.detectors === undefined ? null : [...new Set(job.detectors)].sort();
  return `sha256:${createHash('sha256').update(stableJson({ source: job.source, detectors })).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Throws `USAGE` unless `job` is a well-formed submission: exactly one source, valid id and detectors. */
export function assertNewJob(job: NewJob): void {
  if (typeof job !== 'object' || job === null) throw new UsageError('job must be an object');
  if (job.id !== undefined) assertJobId(job.id);
  const source = job.source as unknown;
  if (typeof source !== 'object' || source === null) throw new UsageError('job source must be an object');
  const set = (['url', 's3', 'upload'] as const).filter((k) => (source as Record<string, unknown>)[k] !== undefined);
  if (set.length !== 1) throw new UsageError(`job source must have exactly one of url, s3, upload (got ${set.length})`);
  const { url, s3, upload } = job.source;
  if (url !== undefined && (typeof url !== 'string' || url.length === 0)) throw new UsageError('job source url must be a non-empty string');
  if (s3 !== undefined && (typeof s3.bucket !== 'string' || typeof s3.key !== 'string' || !s3.bucket || !s3.key)) {
    throw new UsageError('job source s3 needs a bucket and a key');
  }
  if (upload !== undefined && (typeof upload.path !== 'string' || !Number.isSafeInteger(upload.bytes) || upload.bytes < 0 || typeof upload.contentType !== 'string')) {
    throw new UsageError('job source upload needs a path, a byte count and a content type');
  }
  if (job.detectors !== undefined && (!Array.isArray(job.detectors) || job.detectors.some((d) => typeof d !== 'string' || d.length === 0))) {
    throw new UsageError('job detectors must be a list of names');
  }
  if (job.idempotencyKey !== undefined && (typeof job.idempotencyKey !== 'string' || job.idempotencyKey.length === 0 || job.idempotencyKey.length > 255)) {
    throw new UsageError('idempotency key must be 1 to 255 characters');
  }
}

/** Throws `USAGE` unless `id` matches {@link JOB_ID_PATTERN}. */
export function assertJobId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !JOB_ID_PATTERN.test(id)) throw new UsageError(`invalid job id ${JSON.stringify(id)}: it must match ${JOB_ID_PATTERN}`);
}

/** Throws `USAGE` unless `owner` is a valid lease owner and `leaseSec` a positive number of seconds up to {@link MAX_LEASE_SEC}. */
export function assertLease(owner: unknown, leaseSec: unknown): asserts owner is string {
  if (typeof owner !== 'string' || !LEASE_OWNER_PATTERN.test(owner)) throw new UsageError('lease owner must be 1 to 200 printable ASCII characters without spaces');
  if (typeof leaseSec !== 'number' || !Number.isFinite(leaseSec) || leaseSec <= 0 || leaseSec > MAX_LEASE_SEC) {
    throw new UsageError(`lease must be more than 0 and at most ${MAX_LEASE_SEC} seconds`);
  }
}

/**
 * Throws `USAGE` unless `outcome` is terminal and consistent: `failed` carries an error,
 * `succeeded` does not, `cancelled` may.
 */
export function assertOutcome(outcome: JobOutcome): void {
  if (typeof outcome !== 'object' || outcome === null) throw new UsageError('outcome must be an object');
  if (!['succeeded', 'failed', 'cancelled'].includes(outcome.status)) throw new UsageError(`outcome status must be succeeded, failed or cancelled, not ${JSON.stringify(outcome.status)}`);
  const { error } = outcome;
  if (error !== undefined && (typeof error !== 'object' || error === null || typeof error.code !== 'string' || typeof error.message !== 'string')) {
    throw new UsageError('outcome error must have a code and a message');
  }
  if (outcome.status === 'failed' && error === undefined) throw new UsageError('a failed outcome needs an error');
  if (outcome.status === 'succeeded' && error !== undefined) throw new UsageError('a succeeded outcome has no error');
}

/** Throws `USAGE` unless `type` is a {@link JobEventType} and `data` a JSON object. */
export function assertEvent(type: unknown, data: unknown): asserts type is JobEventType {
  if (!(Object.values(JobEventTypes) as unknown[]).includes(type)) throw new UsageError(`unknown job event type ${JSON.stringify(type)}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError('job event data must be an object');
}

/** Checks `listEvents` arguments; returns the effective limit. */
export function checkEventsPage(afterSeq: unknown, limit: unknown): number {
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new UsageError('afterSeq must be a non-negative integer');
  const effective = limit ?? EVENTS_PAGE_LIMIT;
  if (typeof effective !== 'number' || !Number.isSafeInteger(effective) || effective < 1 || effective > EVENTS_PAGE_LIMIT) {
    throw new UsageError(`limit must be an integer from 1 to ${EVENTS_PAGE_LIMIT}`);
  }
  return effective;
}

/** Checks `list` options; returns the limit (Infinity when absent). */
export function checkListJobsOptions(options: ListJobsOptions): { limit: number; after: string | undefined; status: ListJobsOptions['status'] } {
  const { limit, after, status } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new UsageError('limit must be a non-negative integer');
  if (after !== undefined) assertJobId(after);
  if (status !== undefined && !['queued', 'running', 'succeeded', 'failed', 'cancelled'].includes(status)) {
    throw new UsageError(`unknown job status ${JSON.stringify(status)}`);
  }
  return { limit: limit ?? Number.POSITIVE_INFINITY, after, status };
}

/** Whether a status is terminal (a job there never changes again). */
export function isTerminalStatus(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}
