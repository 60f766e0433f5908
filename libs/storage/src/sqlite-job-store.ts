/**
 * The embedded JobStore: one SQLite file in the data dir (DESIGN.md "Storage"), shared by the
 * processes of one machine (API, workers, aggregator in the `services` topology).
 *
 * Every method is one conditional statement (`UPDATE … WHERE … RETURNING`, `INSERT … ON CONFLICT
 * DO NOTHING`, `INSERT … SELECT`), never a read followed by an unconditional write, so that the
 * DynamoDB adapter can mirror it with one conditional write each. A read happens only after a
 * conditional write matched nothing, to tell `NOT_FOUND` from `CONFLICT` from an idempotent
 * replay. SQLite runs each write statement under the database's single write lock, taken before
 * the statement reads, so the condition and the write are atomic across connections and
 * processes.
 *
 * Schema (`PRAGMA user_version = 1`):
 * - `jobs(id PK, status, source JSON, detectors JSON, idempotency_key UNIQUE, payload_hash,
 *   created_at, updated_at, version, attempts, lease_owner, lease_expires (epoch ms),
 *   cancel_requested, error JSON, finished_by)`, with a CHECK that a row is `running` exactly
 *   when it has a lease owner and expiry (R4 enforced by the schema), and a partial index on
 *   `(created_at, id)` over active rows for `claim`.
 * - `job_events(job_id, seq, type, at, data JSON, PRIMARY KEY (job_id, seq))`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FramewatchError } from '@framewatch/errors';
import type { JobEvent, JobEventType, JobOutcome, JobRecord, JobStore, ListJobsOptions, NewJob } from './job-store';
import {
  assertEvent,
  assertJobId,
  assertLease,
  assertNewJob,
  assertOutcome,
  checkEventsPage,
  checkListJobsOptions,
  createJobIdGenerator,
  isTerminalStatus,
  jobPayloadHash,
  stableJson,
} from './job-rules';

/** Options of {@link createSqliteJobStore}. */
export interface SqliteJobStoreOptions {
  /** The database file, normally `<dataDir>/jobs.sqlite`. Its directory is created if missing. */
  file: string;
  /** Clock in epoch ms; leases, timestamps and generated ids read it. Default `Date.now`. */
  now?: () => number;
  /**
   * How long a statement waits for another connection's write lock before failing with
   * `UNAVAILABLE`. better-sqlite3 is synchronous, so the wait blocks the event loop: keep it short.
   * Default 5000.
   */
  busyTimeoutMs?: number;
  /** Rows fetched per query while `list` pages through the table. Default 100. */
  pageSize?: number;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id               TEXT PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  source           TEXT NOT NULL,
  detectors        TEXT,
  idempotency_key  TEXT UNIQUE,
  payload_hash     TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  version          INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires    INTEGER,
  cancel_requested INTEGER NOT NULL CHECK (cancel_requested IN (0, 1)),
  error            TEXT,
  finished_by      TEXT,
  CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires IS NOT NULL))
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS job_events (
  job_id TEXT NOT NULL REFERENCES jobs (id),
  seq    INTEGER NOT NULL,
  type   TEXT NOT NULL,
  at     TEXT NOT NULL,
  data   TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) STRICT, WITHOUT ROWID;
`;

interface JobRow {
  id: string;
  status: JobRecord['status'];
  source: string;
  detectors: string | null;
  idempotency_key: string | null;
  payload_hash: string;
  created_at: string;
  updated_at: string;
  version: number;
  attempts: number;
  lease_owner: string | null;
  lease_expires: number | null;
  cancel_requested: number;
  error: string | null;
  finished_by: string | null;
}

interface EventRow {
  seq: number;
  type: JobEventType;
  at: string;
  data: string;
}

/** SQLite result codes that mean "the store cannot be used right now", not a bug. */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB|PERM|AUTH)/;

/**
 * Creates the SQLite {@link JobStore}. Opens (and if needed creates) the file in WAL mode with a
 * busy timeout, so several processes can share it; schema creation is idempotent and safe when
 * processes start together.
 *
 * `complete` accepts the worker that still holds the lease even after its expiry, as long as no
 * other worker has claimed the job since (the owner field would have changed): the work is done
 * and nobody else started it. `heartbeat` does not revive an expired lease.
 *
 * @throws FramewatchError `UNAVAILABLE` when the file cannot be opened or the schema is newer.
 * @example
 * const jobs = createSqliteJobStore({ file: join(config.dataDir, 'jobs.sqlite') });
 * const job = await jobs.create({ source: { url: 'https://example.com/clip.mp4' }, idempotencyKey: 'req-1' });
 * const mine = await jobs.claim('worker-1', 30);
 * if (mine) await jobs.complete(mine.id, 'worker-1', { status: 'succeeded' });
 */
export function createSqliteJobStore(options: SqliteJobStoreOptions): JobStore {
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 100;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new FramewatchError('USAGE', 'pageSize must be a positive integer');
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new FramewatchError('USAGE', 'busyTimeoutMs must be a non-negative integer');
  const file = resolve(options.file);
  const db = openDatabase(file, busyTimeoutMs);
  const nextId = createJobIdGenerator(now);
  let closed = false;

  const sql = {
    insert: db.prepare<Record<string, unknown>, JobRow>(`
      INSERT INTO jobs (id, status, source, detectors, idempotency_key, payload_hash, created_at, updated_at, version, attempts, cancel_requested)
      VALUES (@id, 'queued', @source, @detectors, @key, @hash, @at, @at, 1, 0, 0)
      ON CONFLICT DO NOTHING
      RETURNING *`),
    byId: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    byKey: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE idempotency_key = ?'),
    claim: db.prepare<Record<string, unknown>, JobRow>(`
      UPDATE jobs
      SET status = 'running', lease_owner = @owner, lease_expires = @expires, attempts = attempts + 1,
          version = version + 1, updated_at = @at
      WHERE id = (
          SELECT id FROM jobs
          WHERE status IN ('queued', 'running') AND (status = 'queued' OR lease_expires <= @now)
          ORDER BY created_at, id
          LIMIT 1)
        AND (status = 'queued' OR (status = 'running' AND lease_expires <= @now))
      RETURNING *`),
    heartbeat: db.prepare<Record<string, unknown>, JobRow>(`
      UPDATE jobs SET lease_expires = @expires, version = version + 1, updated_at = @at
      WHERE id = @id AND status = 'running' AND lease_owner = @owner AND lease_expires > @now
      RETURNING *`),
    complete: db.prepare<Record<string, unknown>, JobRow>(`
      UPDATE jobs
      SET status = @status, error = @error, lease_owner = NULL, lease_expires = NULL, finished_by = @owner,
          version = version + 1, updated_at = @at
      WHERE id = @id AND status = 'running' AND lease_owner = @owner
      RETURNING *`),
    cancel: db.prepare<Record<string, unknown>, JobRow>(`
      UPDATE jobs
      SET status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END,
          cancel_requested = 1, version = version + 1, updated_at = @at
      WHERE id = @id AND (status = 'queued' OR (status = 'running' AND cancel_requested = 0))
      RETURNING *`),
    countActive: db.prepare<[], { queued: number | null; running: number | null }>(`
      SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running
      FROM jobs WHERE status IN ('queued', 'running')`),
    page: db.prepare<Record<string, unknown>, JobRow>(`
      SELECT * FROM jobs WHERE id > @after AND (@status IS NULL OR status = @status) ORDER BY id LIMIT @limit`),
    appendEvent: db.prepare<Record<string, unknown>, { seq: number }>(`
      INSERT INTO job_events (job_id, seq, type, at, data)
      SELECT j.id, (SELECT COALESCE(MAX(e.seq), 0) + 1 FROM job_events e WHERE e.job_id = j.id), @type, @at, @data
      FROM jobs j WHERE j.id = @id
      RETURNING seq`),
    events: db.prepare<Record<string, unknown>, EventRow>(`
      SELECT seq, type, at, data FROM job_events WHERE job_id = @id AND seq > @after ORDER BY seq LIMIT @limit`),
  } as const;

  /** Runs `fn` against the open database, mapping SQLite failures to FramewatchErrors. */
  function run<T>(what: string, fn: () => T): T {
    if (closed) throw new FramewatchError('UNAVAILABLE', `cannot ${what}: the job store is closed`);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(what, err);
    }
  }

  function timing(leaseSec = 0): { now: number; at: string; expires: number } {
    const t = now();
    return { now: t, at: new Date(t).toISOString(), expires: t + Math.round(leaseSec * 1000) };
  }

  function getRow(id: string): JobRow | undefined {
    return sql.byId.get(id);
  }

  function mustGet(id: string): JobRow {
    const row = getRow(id);
    if (row === undefined) throw notFound(id);
    return row;
  }

  return {
    async create(job: NewJob) {
      assertNewJob(job);
      const hash = jobPayloadHash(job);
      return run('create a job', () => {
        const id = job.id ?? nextId();
        const key = job.idempotencyKey ?? null;
        const inserted = sql.insert.get({
          id,
          source: stableJson(job.source),
          detectors: job.detectors === undefined ? null : JSON.stringify(job.detectors),
          key,
          hash,
          at: timing().at,
        });
        if (inserted !== undefined) return toRecord(inserted);
        // A unique constraint held: a replay (same key or id, same payload) or a conflict.
        const existing = (key === null ? undefined : sql.byKey.get(key)) ?? getRow(id);
        if (existing !== undefined && existing.payload_hash === hash && existing.idempotency_key === key && (job.id === undefined || job.id === existing.id)) {
          return toRecord(existing);
        }
        throw new FramewatchError(
          'CONFLICT',
          key !== null && existing?.idempotency_key === key
            ? `idempotency key ${JSON.stringify(key)} was used for job ${existing.id} with a different request`
            : `job ${id} already exists`,
          { detail: { id: existing?.id ?? id } },
        );
      });
    },

    async get(id) {
      assertJobId(id);
      return run('read a job', () => {
        const row = getRow(id);
        return row === undefined ? null : toRecord(row);
      });
    },

    async *list(listOptions: ListJobsOptions = {}) {
      const { limit, after, status } = checkListJobsOptions(listOptions);
      let cursor = after ?? '';
      let remaining = limit;
      while (remaining > 0) {
        const rows = run('list jobs', () => sql.page.all({ after: cursor, status: status ?? null, limit: Math.min(pageSize, remaining) }));
        for (const row of rows) yield toRecord(row);
        remaining -= rows.length;
        if (rows.length < pageSize) return;
        cursor = rows[rows.length - 1].id;
      }
    },

    async claim(owner, leaseSec) {
      assertLease(owner, leaseSec);
      return run('claim a job', () => {
        const row = sql.claim.get({ owner, ...timing(leaseSec) });
        return row === undefined ? null : toRecord(row);
      });
    },

    async heartbeat(id, owner, leaseSec) {
      assertJobId(id);
      assertLease(owner, leaseSec);
      return run('extend a lease', () => {
        const row = sql.heartbeat.get({ id, owner, ...timing(leaseSec) });
        if (row !== undefined) return toRecord(row);
        const current = mustGet(id);
        throw new FramewatchError('CONFLICT', `job ${id} is not leased to ${owner} (status ${current.status}${current.lease_owner === owner ? ', lease expired' : ''})`, {
          detail: { id, status: current.status },
        });
      });
    },

    async complete(id, owner, outcome: JobOutcome) {
      assertJobId(id);
      assertLease(owner, 1);
      assertOutcome(outcome);
      const error = outcome.error === undefined ? null : stableJson({ code: outcome.error.code, message: outcome.error.message });
      return run('complete a job', () => {
        const row = sql.complete.get({ id, owner, status: outcome.status, error, at: timing().at });
        if (row !== undefined) return toRecord(row);
        const current = mustGet(id);
        // A retried completion (its first response lost) finds its own write: not an error.
        if (current.finished_by === owner && current.status === outcome.status && current.error === error) return toRecord(current);
        throw new FramewatchError(
          'CONFLICT',
          isTerminalStatus(current.status) ? `job ${id} is already ${current.status}` : `job ${id} is not leased to ${owner} (status ${current.status})`,
          { detail: { id, status: current.status } },
        );
      });
    },

    async requestCancel(id) {
      assertJobId(id);
      return run('cancel a job', () => toRecord(sql.cancel.get({ id, at: timing().at }) ?? mustGet(id)));
    },

    async countActive() {
      return run('count jobs', () => {
        const row = sql.countActive.get();
        return { queued: row?.queued ?? 0, running: row?.running ?? 0 };
      });
    },

    async appendEvent(id, type, data) {
      assertJobId(id);
      assertEvent(type, data);
      const text = JSON.stringify(data);
      return run('append a job event', () => {
        // The statement computes and inserts seq under the write lock; the primary key makes a
        // duplicate impossible even so, and a lost race (never expected here) is retried.
        for (let attempt = 1; ; attempt++) {
          try {
            const row = sql.appendEvent.get({ id, type, at: timing().at, data: text });
            if (row === undefined) throw notFound(id);
            return row.seq;
          } catch (err) {
            if (attempt >= 5 || sqliteCode(err) !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
          }
        }
      });
    },

    async listEvents(id, afterSeq, limit) {
      assertJobId(id);
      const effective = checkEventsPage(afterSeq, limit);
      return run('list job events', () => {
        const rows = sql.events.all({ id, after: afterSeq, limit: effective });
        if (rows.length === 0) mustGet(id);
        return rows.map((r): JobEvent => ({ seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) as Record<string, unknown> }));
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        db.close();
      } catch (err) {
        throw toStoreError('close the job store', err);
      }
    },
  };
}

function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: busyTimeoutMs });
    // Order matters: the busy timeout first, so that switching to WAL and creating the schema
    // wait for a process that is doing the same instead of failing.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    // FULL: a committed claim or completion survives a power cut, not only a crash. Job writes are
    // few per job, so the extra fsync per commit is cheap.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const open = db;
    open.transaction(() => {
      const version = open.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new FramewatchError('UNAVAILABLE', `job store schema ${version} is newer than this build understands (${SCHEMA_VERSION})`);
      }
      open.exec(SCHEMA);
      if (version < SCHEMA_VERSION) open.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return open;
  } catch (err) {
    db?.close();
    if (err instanceof FramewatchError) throw err;
    throw toStoreError('open the job store', err);
  }
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    status: row.status,
    source: JSON.parse(row.source) as JobRecord['source'],
    detectors: row.detectors === null ? null : (JSON.parse(row.detectors) as string[]),
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    attempts: row.attempts,
    lease: row.lease_owner === null || row.lease_expires === null ? null : { owner: row.lease_owner, expiresAt: new Date(row.lease_expires).toISOString() },
    cancelRequested: row.cancel_requested === 1,
    error: row.error === null ? null : (JSON.parse(row.error) as { code: string; message: string }),
  };
}

function notFound(id: string): FramewatchError {
  return new FramewatchError('NOT_FOUND', `job ${id} does not exist`, { detail: { id } });
}

function sqliteCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function toStoreError(what: string, err: unknown): Error {
  if (err instanceof FramewatchError) return err;
  const code = sqliteCode(err);
  if (code !== undefined && (UNAVAILABLE_CODES.test(code) || /^E[A-Z]+$/.test(code))) {
    // The code, not SQLite's message: the latter may name absolute paths.
    return new FramewatchError('UNAVAILABLE', `cannot ${what}: ${code}`, { cause: err });
  }
  return new FramewatchError('INTERNAL', `cannot ${what}: ${code ?? 'unexpected error'}`, { cause: err });
}
