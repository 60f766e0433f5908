/**
 * An in-memory {@link JobStore} for this lib's tests, so that the HTTP edge can be exercised
 * through a real server before (and independently of) the SQLite adapter. It follows the port's
 * documented semantics closely enough for the API's needs; it is not an adapter to ship.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FramewatchError } from '@framewatch/errors';
import type { AnalysisStatus } from '@framewatch/pipeline';
import type {
  JobEvent,
  JobEventType,
  JobOutcome,
  JobRecord,
  JobStore,
  ListJobsOptions,
  NewJob,
} from '@framewatch/storage';

const terminal: ReadonlySet<AnalysisStatus> = new Set<AnalysisStatus>(['succeeded', 'failed', 'cancelled']);

/** Options of {@link createMemoryJobStore}. */
export interface MemoryJobStoreOptions {
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number;
}

/** A {@link JobStore} that also lets a test inspect how it was called. */
export interface MemoryJobStore extends JobStore {
  /** How many times `create` was called (including replays and rejected calls). */
  readonly createCalls: number;
  /** Sets a job's status directly, as a worker would by claiming/completing it. */
  setStatus(id: string, status: AnalysisStatus, error?: { code: string; message: string }): JobRecord;
}

/**
 * Creates an empty in-memory job store.
 *
 * @example
 * const jobs = createMemoryJobStore();
 * const job = await jobs.create({ source: { url: 'https://example.com/a.mp4' } });
 */
export function createMemoryJobStore(options: MemoryJobStoreOptions = {}): MemoryJobStore {
  const clock = options.clock ?? Date.now;
  const jobs = new Map<string, JobRecord>();
  const events = new Map<string, JobEvent[]>();
  const byKey = new Map<string, string>();
  let createCalls = 0;
  let counter = 0;

  const now = (): string => new Date(clock()).toISOString();
  const copy = (job: JobRecord): JobRecord => structuredClone(job);
  const mustGet = (id: string): JobRecord => {
    const job = jobs.get(id);
    if (!job) throw new FramewatchError('NOT_FOUND', `no job ${id}`, { detail: { id } });
    return job;
  };
  const touch = (job: JobRecord): void => {
    job.updatedAt = now();
    job.version += 1;
  };

  return {
    get createCalls() {
      return createCalls;
    },

    async create(input: NewJob): Promise<JobRecord> {
      createCalls += 1;
      const payloadHash = createHash('sha256')
        .update(JSON.stringify({ source: input.source, detectors: input.detectors ?? null }))
        .digest('hex');
      if (input.idempotencyKey !== undefined) {
        const existing = byKey.get(input.idempotencyKey);
        if (existing !== undefined) {
          const job = mustGet(existing);
          if (job.payloadHash !== payloadHash) {
            throw new FramewatchError('CONFLICT', 'idempotency key reused with a different payload');
          }
          return copy(job);
        }
      }
      counter += 1;
      const id = input.id ?? `an-${clock().toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
      if (jobs.has(id)) throw new FramewatchError('CONFLICT', `job ${id} exists`);
      const at = now();
      const job: JobRecord = {
        id,
        status: 'queued',
        source: structuredClone(input.source),
        detectors: input.detectors ? [...input.detectors] : null,
        idempotencyKey: input.idempotencyKey ?? null,
        payloadHash,
        createdAt: at,
        updatedAt: at,
        version: 1,
        attempts: 0,
        lease: null,
        cancelRequested: false,
        error: null,
      };
      jobs.set(id, job);
      events.set(id, []);
      if (input.idempotencyKey !== undefined) byKey.set(input.idempotencyKey, id);
      return copy(job);
    },

    async get(id: string): Promise<JobRecord | null> {
      const job = jobs.get(id);
      return job ? copy(job) : null;
    },

    async *list(listOptions: ListJobsOptions = {}): AsyncGenerator<JobRecord> {
      const ids = [...jobs.keys()].sort();
      let left = listOptions.limit ?? Number.POSITIVE_INFINITY;
      for (const id of ids) {
        if (left <= 0) return;
        if (listOptions.after !== undefined && id <= listOptions.after) continue;
        const job = jobs.get(id);
        if (!job || (listOptions.status !== undefined && job.status !== listOptions.status)) continue;
        left -= 1;
        yield copy(job);
      }
    },

    async claim(owner: string, leaseSec: number): Promise<JobRecord | null> {
      for (const id of [...jobs.keys()].sort()) {
        const job = mustGet(id);
        const expired = job.lease !== null && Date.parse(job.lease.expiresAt) <= clock();
        if (job.status === 'queued' || (job.status === 'running' && expired)) {
          job.status = 'running';
          job.attempts += 1;
          job.lease = { owner, expiresAt: new Date(clock() + leaseSec * 1000).toISOString() };
          touch(job);
          return copy(job);
        }
      }
      return null;
    },

    async heartbeat(id: string, owner: string, leaseSec: number): Promise<JobRecord> {
      const job = mustGet(id);
      if (job.lease?.owner !== owner) throw new FramewatchError('CONFLICT', `lease on ${id} is not held by ${owner}`);
      job.lease = { owner, expiresAt: new Date(clock() + leaseSec * 1000).toISOString() };
      touch(job);
      return copy(job);
    },

    async complete(id: string, owner: string, outcome: JobOutcome): Promise<JobRecord> {
      const job = mustGet(id);
      if (terminal.has(job.status)) {
        if (job.status === outcome.status) return copy(job);
        throw new FramewatchError('CONFLICT', `job ${id} is already ${job.status}`);
      }
      if (job.lease?.owner !== owner) throw new FramewatchError('CONFLICT', `lease on ${id} is not held by ${owner}`);
      job.status = outcome.status;
      job.error = outcome.error ?? null;
      job.lease = null;
      touch(job);
      return copy(job);
    },

    async requestCancel(id: string): Promise<JobRecord> {
      const job = mustGet(id);
      if (job.status === 'queued') {
        job.status = 'cancelled';
        touch(job);
      } else if (job.status === 'running' && !job.cancelRequested) {
        job.cancelRequested = true;
        touch(job);
      }
      return copy(job);
    },

    async countActive(): Promise<{ queued: number; running: number }> {
      let queued = 0;
      let running = 0;
      for (const job of jobs.values()) {
        if (job.status === 'queued') queued += 1;
        else if (job.status === 'running') running += 1;
      }
      return { queued, running };
    },

    async appendEvent(id: string, type: JobEventType, data: Record<string, unknown>): Promise<number> {
      mustGet(id);
      const list = events.get(id) ?? [];
      const seq = list.length + 1;
      list.push({ seq, type, at: now(), data: structuredClone(data) });
      events.set(id, list);
      return seq;
    },

    async listEvents(id: string, afterSeq: number, limit = 1000): Promise<JobEvent[]> {
      mustGet(id);
      return (events.get(id) ?? []).filter((e) => e.seq > afterSeq).slice(0, limit).map((e) => structuredClone(e));
    },

    async close(): Promise<void> {
      // Nothing to release.
    },

    setStatus(id: string, status: AnalysisStatus, error?: { code: string; message: string }): JobRecord {
      const job = mustGet(id);
      job.status = status;
      job.error = error ?? null;
      if (terminal.has(status)) job.lease = null;
      touch(job);
      return copy(job);
    },
  };
}
