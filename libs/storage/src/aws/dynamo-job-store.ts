/**
 * The DynamoDB JobStore (DESIGN.md "Storage"): the same contract and rules as the SQLite
 * adapter, built from single-item conditional writes because dynalite (and a cheap DynamoDB
 * design) has no transactions.
 *
 * Single-table design (`jobTableDefinition`), key `pk`/`sk` (strings):
 * - job: `pk = JOB#<id>`, `sk = JOB`; attributes as in {@link JobRecord} (source, detectors and
 *   error as stable JSON text), the lease as `leaseOwner`/`leaseToken`/`leaseExpires` (epoch ms),
 *   `finishedBy`, and `eventSeq` (the last event number handed out).
 *   - GSI `active` (`gsi1pk = ACTIVE`, `gsi1sk = <createdAt>#<id>`): present only while the job is
 *     queued or running (sparse), so `claim` reads the claimable jobs oldest first and
 *     `countActive` reads nothing else.
 *   - GSI `byId` (`gsi2pk = JOB`, `gsi2sk = <id>`): `list` in id order.
 * - idempotency key: `pk = IDEM#<key>`, `sk = IDEM`, with `jobId` and `payloadHash`; claimed by a
 *   conditional put before the job is written.
 * - event: `pk = JOB#<id>`, `sk = EVT#<seq, 10 digits>`, with `type`, `at` and `data` (JSON).
 *
 * Lost acknowledgements (R2): a claim writes a fresh token with the lease and, when its condition
 * fails or its transport fails, reads the job back with a consistent read; our owner and token
 * there mean the claim is ours. `complete` and `create` recognise their own earlier write the
 * same way the SQLite adapter recognises a replay.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { claimLease, conditionalUpdate, defineTable, getConsistent, putIfAbsent, queryPages, type TableDefinition } from '@framewatch/dynamo';
import { FramewatchError } from '@framewatch/errors';
import type { JobEvent, JobEventType, JobOutcome, JobRecord, JobStore, ListJobsOptions, NewJob } from '../job-store';
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
} from '../job-rules';

/** Options of {@link createDynamoJobStore}. */
export interface DynamoJobStoreOptions {
  /** A document client from `createDocumentClient` (@framewatch/dynamo); not closed by the store. */
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Clock in epoch ms; leases, timestamps and generated ids read it. Default `Date.now`. */
  now?: () => number;
  /** Items read per query while `list` and `claim` page through an index. Default 100. */
  pageSize?: number;
}

/** An item of the jobs table (any kind). */
interface StoredItem {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  [attribute: string]: unknown;
}

interface JobItem extends StoredItem {
  id: string;
  status: JobRecord['status'];
  source: string;
  detectors?: string;
  idempotencyKey?: string;
  payloadHash: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  attempts: number;
  leaseOwner?: string;
  leaseToken?: string;
  leaseExpires?: number;
  cancelRequested: boolean;
  error?: string;
  finishedBy?: string;
  eventSeq?: number;
}

interface KeyItem extends StoredItem {
  jobId: string;
  payloadHash: string;
}

interface EventItem extends StoredItem {
  seq: number;
  type: JobEventType;
  at: string;
  data: string;
}

const ACTIVE = 'ACTIVE';
const ALL_JOBS = 'JOB';
const SEQ_WIDTH = 10;
/** Fields of the `active` GSI; removed when a job becomes terminal. */
const ACTIVE_INDEX_FIELDS = ['gsi1pk', 'gsi1sk'] as const;

function jobTable(name: string): TableDefinition<StoredItem, 'active' | 'byId'> {
  return defineTable<StoredItem, 'active' | 'byId'>({
    name,
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    indexes: {
      active: { partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
      byId: { partitionKey: { name: 'gsi2pk', type: 'S' }, sortKey: { name: 'gsi2sk', type: 'S' } },
    },
  });
}

/**
 * The CreateTable input of the jobs table (on-demand, two GSIs), used by the emulator script,
 * the e2e tests and the README.
 *
 * @example
 * await dynamoClient.send(new CreateTableCommand(jobTableDefinition('framewatch-jobs')));
 */
export function jobTableDefinition(tableName: string): CreateTableCommandInput {
  return jobTable(tableName).createTableInput();
}

const jobKey = (id: string) => ({ pk: `JOB#${id}`, sk: 'JOB' });
const idemKey = (key: string) => ({ pk: `IDEM#${key}`, sk: 'IDEM' });
const eventSk = (seq: number) => `EVT#${String(seq).padStart(SEQ_WIDTH, '0')}`;

/**
 * Creates the DynamoDB {@link JobStore} on an existing table (see {@link jobTableDefinition}).
 *
 * Like the SQLite adapter, `complete` accepts the lease holder after expiry as long as nobody
 * reclaimed the job, and `heartbeat` does not revive an expired lease. Differences a caller may
 * notice: a heartbeat whose response is lost and retried by the SDK counts two writes in
 * `version`; an event whose seq was handed out but whose put never landed (crash in between)
 * leaves a gap in seq; `list` and `claim` read GSIs, which real DynamoDB updates eventually.
 *
 * @throws FramewatchError `USAGE` for a bad `pageSize` or table name.
 * @example
 * const doc = createDocumentClient({ clientConfig: { region: 'eu-west-1', maxAttempts: 3 } });
 * const jobs = createDynamoJobStore({ client: doc, tableName: 'framewatch-jobs' });
 * const mine = await jobs.claim('worker-1', 30);
 */
export function createDynamoJobStore(options: DynamoJobStoreOptions): JobStore {
  const { client: doc, tableName } = options;
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 100;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new FramewatchError('USAGE', 'pageSize must be a positive integer');
  if (typeof tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) throw new FramewatchError('USAGE', `invalid table name ${JSON.stringify(tableName)}`);
  const table = jobTable(tableName);
  const nextId = createJobIdGenerator(now);
  let closed = false;

  function open(what: string): void {
    if (closed) throw new FramewatchError('UNAVAILABLE', `cannot ${what}: the job store is closed`);
  }

  const iso = (ms: number): string => new Date(ms).toISOString();

  async function readJob(id: string): Promise<JobItem | undefined> {
    return (await getConsistent(doc, table, jobKey(id))) as JobItem | undefined;
  }

  async function mustRead(id: string): Promise<JobItem> {
    const item = await readJob(id);
    if (item === undefined) throw notFound(id);
    return item;
  }

  /** The job a replayed create returns, or CONFLICT. */
  function replayOrConflict(existing: JobItem | undefined, job: NewJob, id: string, hash: string, key: string | undefined): JobRecord {
    if (existing !== undefined && existing.payloadHash === hash && existing.idempotencyKey === key && (job.id === undefined || job.id === existing.id)) {
      return toRecord(existing);
    }
    throw new FramewatchError('CONFLICT', `job ${id} already exists`, { detail: { id: existing?.id ?? id } });
  }

  async function writeJob(job: NewJob, id: string, hash: string, key: string | undefined): Promise<JobRecord> {
    const at = iso(now());
    const item: JobItem = {
      ...jobKey(id),
      id,
      status: 'queued',
      source: stableJson(job.source),
      detectors: job.detectors === undefined ? undefined : JSON.stringify(job.detectors),
      idempotencyKey: key,
      payloadHash: hash,
      createdAt: at,
      updatedAt: at,
      version: 1,
      attempts: 0,
      cancelRequested: false,
      gsi1pk: ACTIVE,
      gsi1sk: `${at}#${id}`,
      gsi2pk: ALL_JOBS,
      gsi2sk: id,
    };
    const put = await putIfAbsent(doc, table, item);
    if (put.written) return toRecord(item);
    // Exists: our own earlier attempt (lost ack), a concurrent replay, or another job's id.
    return replayOrConflict(await readJob(id), job, id, hash, key);
  }

  return {
    async create(job: NewJob) {
      assertNewJob(job);
      open('create a job');
      const hash = jobPayloadHash(job);
      const key = job.idempotencyKey;
      let id = job.id ?? nextId();
      if (key !== undefined) {
        const claimed = await putIfAbsent(doc, table, { ...idemKey(key), jobId: id, payloadHash: hash } satisfies KeyItem);
        if (!claimed.written) {
          const existing = (await getConsistent(doc, table, idemKey(key))) as KeyItem | undefined;
          if (existing === undefined) throw new FramewatchError('UNAVAILABLE', `idempotency key ${JSON.stringify(key)} changed while it was read; retry`);
          if (existing.payloadHash !== hash || (job.id !== undefined && job.id !== existing.jobId)) {
            throw new FramewatchError('CONFLICT', `idempotency key ${JSON.stringify(key)} was used for job ${existing.jobId} with a different request`, {
              detail: { id: existing.jobId },
            });
          }
          // Same key and payload (or our own earlier attempt): the key's job is the answer. Its
          // creator may not have written the job yet, or crashed before it did: writing it with
          // the key's id is idempotent, so do it rather than wait.
          id = existing.jobId;
          const current = await readJob(id);
          if (current !== undefined) return replayOrConflict(current, job, id, hash, key);
        }
      }
      return writeJob(job, id, hash, key);
    },

    async get(id) {
      assertJobId(id);
      open('read a job');
      const item = await readJob(id);
      return item === undefined ? null : toRecord(item);
    },

    async *list(listOptions: ListJobsOptions = {}) {
      const { limit, after, status } = checkListJobsOptions(listOptions);
      open('list jobs');
      if (limit === 0) return;
      let remaining = limit;
      const pages = queryPages<JobItem>(doc, {
        TableName: tableName,
        IndexName: 'byId',
        KeyConditionExpression: after === undefined ? '#p = :p' : '#p = :p AND #s > :after',
        ...(status === undefined ? {} : { FilterExpression: '#status = :status' }),
        ExpressionAttributeNames: { '#p': 'gsi2pk', ...(after === undefined ? {} : { '#s': 'gsi2sk' }), ...(status === undefined ? {} : { '#status': 'status' }) },
        ExpressionAttributeValues: { ':p': ALL_JOBS, ...(after === undefined ? {} : { ':after': after }), ...(status === undefined ? {} : { ':status': status }) },
        Limit: pageSize,
      });
      for await (const items of pages) {
        for (const item of items) {
          yield toRecord(item);
          if (--remaining <= 0) return;
        }
      }
    },

    async claim(owner, leaseSec) {
      assertLease(owner, leaseSec);
      open('claim a job');
      const t = now();
      const candidates = queryPages<JobItem>(doc, {
        TableName: tableName,
        IndexName: 'active',
        KeyConditionExpression: '#p = :active',
        FilterExpression: '#status = :queued OR #leaseExpires <= :now',
        ExpressionAttributeNames: { '#p': 'gsi1pk', '#status': 'status', '#leaseExpires': 'leaseExpires' },
        ExpressionAttributeValues: { ':active': ACTIVE, ':queued': 'queued', ':now': t },
        Limit: pageSize,
      });
      for await (const items of candidates) {
        for (const candidate of items) {
          const result = await claimLease<StoredItem>(doc, table, {
            key: jobKey(candidate.id),
            owner,
            expiresAt: t + Math.round(leaseSec * 1000),
            condition: {
              expression: '#status = :queued OR (#status = :running AND #leaseExpires <= :now)',
              names: { '#status': 'status', '#leaseExpires': 'leaseExpires' },
              values: { ':queued': 'queued', ':running': 'running', ':now': t },
            },
            update: { set: { status: 'running', updatedAt: iso(t) }, add: { attempts: 1, version: 1 } },
          });
          // Lost: another worker got there first (R1); try the next candidate.
          if (result.won) return toRecord(result.item as JobItem);
        }
      }
      return null;
    },

    async heartbeat(id, owner, leaseSec) {
      assertJobId(id);
      assertLease(owner, leaseSec);
      open('extend a lease');
      const t = now();
      const result = await conditionalUpdate<StoredItem>(doc, table, {
        key: jobKey(id),
        update: { set: { leaseExpires: t + Math.round(leaseSec * 1000), updatedAt: iso(t) }, add: { version: 1 } },
        condition: {
          expression: '#status = :running AND #owner = :owner AND #leaseExpires > :now',
          names: { '#status': 'status', '#owner': 'leaseOwner', '#leaseExpires': 'leaseExpires' },
          values: { ':running': 'running', ':owner': owner, ':now': t },
        },
      });
      if (result.written) return toRecord(result.item as JobItem);
      const current = await mustRead(id);
      throw new FramewatchError('CONFLICT', `job ${id} is not leased to ${owner} (status ${current.status}${current.leaseOwner === owner ? ', lease expired' : ''})`, {
        detail: { id, status: current.status },
      });
    },

    async complete(id, owner, outcome: JobOutcome) {
      assertJobId(id);
      assertLease(owner, 1);
      assertOutcome(outcome);
      open('complete a job');
      const error = outcome.error === undefined ? undefined : stableJson({ code: outcome.error.code, message: outcome.error.message });
      const result = await conditionalUpdate<StoredItem>(doc, table, {
        key: jobKey(id),
        update: {
          set: { status: outcome.status, finishedBy: owner, updatedAt: iso(now()), error },
          add: { version: 1 },
          remove: ['leaseOwner', 'leaseToken', 'leaseExpires', ...ACTIVE_INDEX_FIELDS, ...(error === undefined ? ['error'] : [])],
        },
        condition: {
          expression: '#status = :running AND #owner = :owner',
          names: { '#status': 'status', '#owner': 'leaseOwner' },
          values: { ':running': 'running', ':owner': owner },
        },
      });
      if (result.written) return toRecord(result.item as JobItem);
      const current = await mustRead(id);
      // A retried completion (its first response lost) finds its own write: not an error.
      if (current.finishedBy === owner && current.status === outcome.status && current.error === error) return toRecord(current);
      throw new FramewatchError(
        'CONFLICT',
        isTerminalStatus(current.status) ? `job ${id} is already ${current.status}` : `job ${id} is not leased to ${owner} (status ${current.status})`,
        { detail: { id, status: current.status } },
      );
    },

    async requestCancel(id) {
      assertJobId(id);
      open('cancel a job');
      const at = iso(now());
      // Two single-item conditional writes: a queued job is cancelled at once, a running one
      // flagged. Whichever condition holds applies; if neither does, the job is returned as is.
      const queued = await conditionalUpdate<StoredItem>(doc, table, {
        key: jobKey(id),
        update: { set: { status: 'cancelled', cancelRequested: true, updatedAt: at }, add: { version: 1 }, remove: [...ACTIVE_INDEX_FIELDS] },
        condition: { expression: '#status = :queued', names: { '#status': 'status' }, values: { ':queued': 'queued' } },
      });
      if (queued.written) return toRecord(queued.item as JobItem);
      const running = await conditionalUpdate<StoredItem>(doc, table, {
        key: jobKey(id),
        update: { set: { cancelRequested: true, updatedAt: at }, add: { version: 1 } },
        condition: {
          expression: '#status = :running AND #cr = :false',
          names: { '#status': 'status', '#cr': 'cancelRequested' },
          values: { ':running': 'running', ':false': false },
        },
      });
      if (running.written) return toRecord(running.item as JobItem);
      return toRecord(await mustRead(id));
    },

    async countActive() {
      open('count jobs');
      const counts = { queued: 0, running: 0 };
      const pages = queryPages<{ status: JobRecord['status'] }>(doc, {
        TableName: tableName,
        IndexName: 'active',
        KeyConditionExpression: '#p = :active',
        ProjectionExpression: '#status',
        ExpressionAttributeNames: { '#p': 'gsi1pk', '#status': 'status' },
        ExpressionAttributeValues: { ':active': ACTIVE },
      });
      for await (const items of pages) {
        for (const { status } of items) if (status === 'queued' || status === 'running') counts[status]++;
      }
      return counts;
    },

    async appendEvent(id, type, data) {
      assertJobId(id);
      assertEvent(type, data);
      open('append a job event');
      const text = JSON.stringify(data);
      // Hand out the next seq with an atomic counter on the job, then write the event under it.
      const counter = await conditionalUpdate<StoredItem>(doc, table, {
        key: jobKey(id),
        update: { add: { eventSeq: 1 } },
        condition: { expression: 'attribute_exists(#pk)', names: { '#pk': 'pk' } },
      });
      if (!counter.written) throw notFound(id);
      const seq = Number(counter.item['eventSeq']);
      const event: EventItem = { pk: jobKey(id).pk, sk: eventSk(seq), seq, type, at: iso(now()), data: text };
      const put = await putIfAbsent(doc, table, event);
      if (!put.written) {
        // Only a retried put of this very event can find the seq taken (seqs are unique).
        const existing = (await getConsistent(doc, table, { pk: event.pk, sk: event.sk })) as EventItem | undefined;
        if (existing?.data !== text || existing.type !== type) throw new FramewatchError('CONFLICT', `event ${seq} of job ${id} already exists`);
      }
      return seq;
    },

    async listEvents(id, afterSeq, limit) {
      assertJobId(id);
      const effective = checkEventsPage(afterSeq, limit);
      open('list job events');
      const events: JobEvent[] = [];
      const pages = queryPages<EventItem>(doc, {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': jobKey(id).pk, ':from': eventSk(afterSeq + 1), ':to': eventSk(10 ** SEQ_WIDTH - 1) },
        ConsistentRead: true,
        Limit: effective,
      });
      for await (const items of pages) {
        for (const e of items) {
          events.push({ seq: e.seq, type: e.type, at: e.at, data: JSON.parse(e.data) as Record<string, unknown> });
          if (events.length >= effective) return events;
        }
      }
      if (events.length === 0) await mustRead(id);
      return events;
    },

    async close() {
      closed = true;
    },
  };
}

function toRecord(item: JobItem): JobRecord {
  return {
    id: item.id,
    status: item.status,
    source: JSON.parse(item.source) as JobRecord['source'],
    detectors: item.detectors === undefined ? null : (JSON.parse(item.detectors) as string[]),
    idempotencyKey: item.idempotencyKey ?? null,
    payloadHash: item.payloadHash,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
    attempts: item.attempts,
    lease: item.status === 'running' && item.leaseOwner !== undefined && item.leaseExpires !== undefined ? { owner: item.leaseOwner, expiresAt: new Date(item.leaseExpires).toISOString() } : null,
    cancelRequested: item.cancelRequested === true,
    error: item.error === undefined ? null : (JSON.parse(item.error) as { code: string; message: string }),
  };
}

function notFound(id: string): FramewatchError {
  return new FramewatchError('NOT_FOUND', `job ${id} does not exist`, { detail: { id } });
}
