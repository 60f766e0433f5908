/**
 * The JobStore port (DESIGN.md "Storage"): where analysis jobs live from submission to a
 * terminal state, shared by the API (create, read, cancel), the workers (claim, heartbeat,
 * complete) and the aggregator (events). Adapters: SQLite in the data dir (default), DynamoDB
 * (later). The conformance suite in `./testing` runs against every adapter.
 */
import type { AnalysisStatus } from '@framewatch/pipeline';

/** Where a job's media comes from. Exactly one field is set. */
export interface JobSource {
  /** An http(s) URL (API callers) or a local path (trusted callers only: CLI, tests). */
  url?: string;
  /** An S3 object. */
  s3?: { bucket: string; key: string };
  /** A file uploaded through the API, stored by the entry point; the path in its upload area. */
  upload?: { path: string; bytes: number; contentType: string };
}

/** What a caller submits. */
export interface NewJob {
  /** Optional caller-chosen id; `an-` + a time-sortable random id otherwise. */
  id?: string;
  source: JobSource;
  /** Detector subset; all when absent. */
  detectors?: string[];
  /**
   * Idempotency key (RELIABILITY R5/R6): the same key with the same payload returns the existing
   * job; the same key with a different payload is a `CONFLICT`.
   */
  idempotencyKey?: string;
}

/** A lease held by one worker on a running job. Every claim carries an expiry (R4). */
export interface JobLease {
  owner: string;
  /** ISO-8601 expiry; after it, another worker may claim the job again. */
  expiresAt: string;
}

/** A job as stored. */
export interface JobRecord {
  id: string;
  status: AnalysisStatus;
  source: JobSource;
  detectors: string[] | null;
  idempotencyKey: string | null;
  /** Hash of the submitted payload, to tell a replay from a conflicting reuse of the key. */
  payloadHash: string;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every write (optimistic locking, R7). */
  version: number;
  /** How many times the job was claimed; > 1 means it was resumed after a lost lease. */
  attempts: number;
  lease: JobLease | null;
  /** Set by `requestCancel` on a running job; the worker sees it on its next heartbeat. */
  cancelRequested: boolean;
  /** Present when status is `failed`. */
  error: { code: string; message: string } | null;
}

/** Outcome reported by the worker holding the lease. */
export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: { code: string; message: string };
}

/** Kinds of job events streamed to API clients (SSE). */
export const JobEventType = {
  status: 'status',
  defectOpened: 'defect.opened',
  defectClosed: 'defect.closed',
  progress: 'progress',
  /** A live analysis fell behind real time (`degraded: true`) or caught up again (`false`). */
  degraded: 'degraded',
} as const;

/** One of the {@link JobEventType} values. */
export type JobEventType = (typeof JobEventType)[keyof typeof JobEventType];

/** A job event, ordered by `seq` (1, 2, … per job). */
export interface JobEvent {
  seq: number;
  type: JobEventType;
  /** ISO-8601 time the event was recorded. */
  at: string;
  data: Record<string, unknown>;
}

/** Options of {@link JobStore.list}. */
export interface ListJobsOptions {
  status?: AnalysisStatus;
  limit?: number;
  /** Exclusive cursor: ids sorting after this one (ids are time-sortable). */
  after?: string;
}

/**
 * Job state with leases. Every method is a single conditional write or a read, so that adapters
 * without transactions (DynamoDB via dynalite) can implement it the same way.
 *
 * Error codes: `NOT_FOUND` for an unknown id; `CONFLICT` when a conditional write loses (lease
 * held by someone else or lost, version moved, idempotency key reused with another payload,
 * job already terminal); `UNAVAILABLE` when the store cannot be reached.
 */
export interface JobStore {
  /** Records a new `queued` job (or returns the existing one for a replayed idempotency key). Idempotent with a key. */
  create(job: NewJob): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | null>;
  /** Newest first is not promised; ids ascending (creation order). */
  list(options?: ListJobsOptions): AsyncGenerator<JobRecord>;
  /**
   * Claims the oldest claimable job — `queued`, or `running` with an expired lease — for `owner`
   * with a lease of `leaseSec`; null when there is none. Exactly one of many concurrent claimers
   * wins a job (R1). Not idempotent.
   */
  claim(owner: string, leaseSec: number): Promise<JobRecord | null>;
  /**
   * Extends the lease of a job `owner` holds. Returns the record so the worker sees
   * `cancelRequested`. `CONFLICT` when the lease is no longer the owner's. Idempotent.
   */
  heartbeat(id: string, owner: string, leaseSec: number): Promise<JobRecord>;
  /**
   * Moves a job `owner` holds to a terminal state and drops the lease. `CONFLICT` when the lease
   * is not the owner's or the job is already terminal — except that repeating the same outcome
   * by the same owner returns the record (a retried completion is not an error). Idempotent.
   */
  complete(id: string, owner: string, outcome: JobOutcome): Promise<JobRecord>;
  /** A queued job becomes `cancelled` at once; a running one gets `cancelRequested`. Terminal jobs are returned unchanged. Idempotent. */
  requestCancel(id: string): Promise<JobRecord>;
  /** Jobs not yet terminal, for admission control (429/503 when the queue is full). */
  countActive(): Promise<{ queued: number; running: number }>;
  /** Appends an event; returns its seq. */
  appendEvent(id: string, type: JobEventType, data: Record<string, unknown>): Promise<number>;
  /** Events with seq > `afterSeq`, oldest first, at most `limit` (default 1000). */
  listEvents(id: string, afterSeq: number, limit?: number): Promise<JobEvent[]>;
  /** Releases connections/handles. */
  close(): Promise<void>;
}

/**
 * Hands frame batches from the converter to a detector through storage (`services-s3` only):
 * the converter writes each encoded batch, the detector reads it back by key. Adapters: files in
 * the data dir (default), an S3 bucket (later).
 */
export interface FrameHandoff {
  /** Writes an object; overwriting the same key with the same bytes is harmless. Idempotent. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Reads an object. `NOT_FOUND` when absent. Idempotent. */
  get(key: string): Promise<Uint8Array>;
  /** Deletes an object; deleting a missing key is not an error. Idempotent. */
  delete(key: string): Promise<void>;
  /** Operation counts since creation, for the topology benchmark. */
  stats(): { puts: number; gets: number; deletes: number; bytesWritten: number; bytesRead: number };
}
