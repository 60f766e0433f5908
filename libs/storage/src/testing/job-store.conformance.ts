/**
 * The one test suite every JobStore adapter runs (DESIGN.md: "Every port has one conformance
 * test suite that runs against every adapter"), including RELIABILITY.md R1, R3 (store level),
 * R4, R5, R6 and R7. Call it from an adapter's spec file.
 */
import { FramewatchError } from '@framewatch/errors';
import type { JobEventType, JobRecord, JobStore, NewJob } from '../job-store';

/** What the suite passes to the factory when it opens a store. */
export interface JobStoreConformanceContext {
  /**
   * The suite's clock (epoch ms). The adapter must read time only through it, so that the suite
   * can expire leases without sleeping.
   */
  now: () => number;
  /**
   * Names one fresh, empty backend per test (e.g. a database file or table name). Stores opened
   * with the same namespace share their data, like several processes on one machine.
   */
  namespace: string;
}

/** Opens a store on the backend named by `context.namespace`; the suite closes every store it opens. */
export type MakeJobStore = (context: JobStoreConformanceContext) => JobStore | Promise<JobStore>;

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const URL_A = { url: 'https://media.example/a.mp4' } as const;
const URL_B = { url: 'https://media.example/b.mp4' } as const;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return (err as FramewatchError).code;
  }
  throw new Error('expected the call to fail');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Every record obeys the lease invariant (R4): running exactly when it holds a lease with a valid expiry. */
function expectLeaseInvariant(record: JobRecord): void {
  if (record.status === 'running') {
    expect(record.lease).not.toBeNull();
    expect(record.lease?.owner).toEqual(expect.any(String));
    expect(Number.isFinite(Date.parse(record.lease?.expiresAt ?? ''))).toBe(true);
  } else {
    expect(record.lease).toBeNull();
  }
}

/**
 * Registers the JobStore conformance suite as a Jest `describe` block named `name`.
 *
 * @example
 * describeJobStoreConformance('sqlite', ({ now, namespace }) =>
 *   createSqliteJobStore({ file: join(dir, `${namespace}.sqlite`), now }));
 */
export function describeJobStoreConformance(name: string, makeStore: MakeJobStore): void {
  describe(`JobStore conformance: ${name}`, () => {
    let time = START;
    let namespace = '';
    let counter = 0;
    let opened: JobStore[] = [];
    let store: JobStore;
    const now = (): number => time;
    const advance = (ms: number): void => {
      time += ms;
    };
    const iso = (ms: number): string => new Date(ms).toISOString();

    async function open(): Promise<JobStore> {
      const s = await makeStore({ now, namespace });
      opened.push(s);
      return s;
    }

    async function openMany(n: number): Promise<JobStore[]> {
      const stores: JobStore[] = [];
      for (let i = 0; i < n; i++) stores.push(await open());
      return stores;
    }

    /** Creates a job and moves the clock on, so creation order is unambiguous. */
    async function createJob(job: Partial<NewJob> = {}): Promise<JobRecord> {
      const record = await store.create({ source: URL_A, ...job });
      advance(10);
      return record;
    }

    beforeEach(async () => {
      time = START;
      counter += 1;
      namespace = `conf-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
      opened = [];
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    describe('create and get', () => {
      it('records a queued job with version 1, no lease and no attempts', async () => {
        const job = await store.create({ source: URL_A, detectors: ['black', 'freeze'] });
        expect(job).toEqual({
          id: expect.stringMatching(/^an-[a-z0-9]+$/),
          status: 'queued',
          source: URL_A,
          detectors: ['black', 'freeze'],
          idempotencyKey: null,
          payloadHash: expect.any(String),
          createdAt: iso(START),
          updatedAt: iso(START),
          version: 1,
          attempts: 0,
          lease: null,
          cancelRequested: false,
          error: null,
        });
        await expect(store.get(job.id)).resolves.toEqual(job);
      });

      it('stores detectors as null when absent and keeps every kind of source', async () => {
        const s3 = await createJob({ source: { s3: { bucket: 'media', key: 'in/a.mp4' } } });
        const upload = await createJob({ source: { upload: { path: 'uploads/x.mp4', bytes: 1234, contentType: 'video/mp4' } }, detectors: [] });
        expect(await store.get(s3.id)).toMatchObject({ source: { s3: { bucket: 'media', key: 'in/a.mp4' } }, detectors: null });
        expect(await store.get(upload.id)).toMatchObject({ source: { upload: { path: 'uploads/x.mp4', bytes: 1234, contentType: 'video/mp4' } }, detectors: [] });
      });

      it('returns null for an unknown id and USAGE for a malformed one', async () => {
        await expect(store.get('an-missing')).resolves.toBeNull();
        expect(await codeOf(store.get('../etc'))).toBe('USAGE');
      });

      it('generates ids that sort in creation order, also within one millisecond', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) {
          ids.push((await store.create({ source: { url: `https://media.example/${i}.mp4` } })).id);
          if (i % 5 === 4) advance(1);
        }
        expect(new Set(ids).size).toBe(20);
        expect([...ids].sort()).toEqual(ids);
        expect(ids.every((id) => /^an-[A-Za-z0-9._-]+$/.test(id) && id.length <= 128)).toBe(true);
      });

      it('uses a caller-chosen id, replays it for the same payload and rejects it for another', async () => {
        const job = await store.create({ id: 'an-chosen', source: URL_A });
        expect(job.id).toBe('an-chosen');
        await expect(store.create({ id: 'an-chosen', source: URL_A })).resolves.toEqual(job);
        expect(await codeOf(store.create({ id: 'an-chosen', source: URL_B }))).toBe('CONFLICT');
        await expect(store.get('an-chosen')).resolves.toEqual(job);
      });

      it.each([
        ['no source', { source: {} }],
        ['two sources', { source: { url: 'https://x/a.mp4', s3: { bucket: 'b', key: 'k' } } }],
        ['a bad id', { id: '../x', source: URL_A }],
        ['bad detectors', { source: URL_A, detectors: 'black' }],
        ['an empty idempotency key', { source: URL_A, idempotencyKey: '' }],
      ])('rejects a job with %s as USAGE and stores nothing', async (_what, job) => {
        expect(await codeOf(store.create(job as unknown as NewJob))).toBe('USAGE');
        expect(await collect(store.list())).toEqual([]);
      });
    });

    describe('R5/R6: idempotency keys', () => {
      it('R5: returns the existing job for the same key and payload, and stores it once', async () => {
        const first = await store.create({ source: URL_A, detectors: ['black', 'freeze'], idempotencyKey: 'req-1' });
        advance(1000);
        const again = await store.create({ source: { ...URL_A }, detectors: ['freeze', 'black'], idempotencyKey: 'req-1' });
        expect(again).toEqual(first);
        expect((await collect(store.list())).map((j) => j.id)).toEqual([first.id]);
      });

      it('R5: concurrent submissions with one key from several stores create one job', async () => {
        const stores = await openMany(5);
        const results = await Promise.all(stores.flatMap((s) => [1, 2, 3].map(() => s.create({ source: URL_A, idempotencyKey: 'req-race' }))));
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        expect(await collect(store.list())).toHaveLength(1);
      });

      it('R6: rejects the same key with another source or other detectors as CONFLICT', async () => {
        const first = await store.create({ source: URL_A, idempotencyKey: 'req-1' });
        expect(await codeOf(store.create({ source: URL_B, idempotencyKey: 'req-1' }))).toBe('CONFLICT');
        expect(await codeOf(store.create({ source: URL_A, detectors: ['black'], idempotencyKey: 'req-1' }))).toBe('CONFLICT');
        expect(await codeOf(store.create({ source: URL_A, detectors: [], idempotencyKey: 'req-1' }))).toBe('CONFLICT');
        await expect(store.get(first.id)).resolves.toEqual(first);
        expect(await collect(store.list())).toHaveLength(1);
      });

      it('keeps different keys and keyless jobs apart', async () => {
        const a = await createJob({ idempotencyKey: 'req-a' });
        const b = await createJob({ idempotencyKey: 'req-b' });
        const c = await createJob();
        const d = await createJob();
        expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4);
        expect(a.payloadHash).toBe(c.payloadHash);
      });
    });

    describe('list', () => {
      it('yields jobs by ascending id, filtered by status, with limit and an exclusive after cursor', async () => {
        for (const id of ['an-3', 'an-1', 'an-5', 'an-2', 'an-4']) await createJob({ id });
        await store.requestCancel('an-2');
        await store.requestCancel('an-4');
        expect((await collect(store.list())).map((j) => j.id)).toEqual(['an-1', 'an-2', 'an-3', 'an-4', 'an-5']);
        expect((await collect(store.list({ status: 'cancelled' }))).map((j) => j.id)).toEqual(['an-2', 'an-4']);
        expect((await collect(store.list({ status: 'queued', after: 'an-1' }))).map((j) => j.id)).toEqual(['an-3', 'an-5']);
        expect((await collect(store.list({ limit: 2, after: 'an-2' }))).map((j) => j.id)).toEqual(['an-3', 'an-4']);
        expect(await collect(store.list({ limit: 0 }))).toEqual([]);
        expect(await collect(store.list({ after: 'an-9' }))).toEqual([]);
      });

      it('pages through more jobs than fit one page, each exactly once', async () => {
        const created: string[] = [];
        for (let i = 0; i < 230; i++) created.push((await store.create({ source: { url: `https://media.example/${i}.mp4` } })).id);
        const all = (await collect(store.list())).map((j) => j.id);
        expect(all).toEqual([...created].sort());
        const paged: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = (await collect(store.list({ limit: 64, after }))).map((j) => j.id);
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1];
        }
        expect(paged).toEqual(all);
      });

      it('is lazy: stopping early does not fail', async () => {
        for (const id of ['an-1', 'an-2', 'an-3']) await createJob({ id });
        const generator = store.list();
        expect((await generator.next()).value).toMatchObject({ id: 'an-1' });
        await expect(generator.return(undefined)).resolves.toEqual({ done: true, value: undefined });
      });

      it('rejects a bad limit, cursor or status as USAGE', async () => {
        expect(await codeOf(collect(store.list({ limit: -1 })))).toBe('USAGE');
        expect(await codeOf(collect(store.list({ limit: 1.5 })))).toBe('USAGE');
        expect(await codeOf(collect(store.list({ after: '../x' })))).toBe('USAGE');
        expect(await codeOf(collect(store.list({ status: 'done' as never })))).toBe('USAGE');
      });
    });

    describe('claim', () => {
      it('returns null when nothing is claimable', async () => {
        await expect(store.claim('w1', 30)).resolves.toBeNull();
      });

      it('claims the oldest queued job with a lease, one attempt and a new version', async () => {
        const older = await createJob({ id: 'an-z-older' });
        await createJob({ id: 'an-a-newer' });
        const claimed = await store.claim('w1', 30);
        expect(claimed).toMatchObject({
          id: older.id,
          status: 'running',
          lease: { owner: 'w1', expiresAt: iso(time + 30_000) },
          attempts: 1,
          version: 2,
          updatedAt: iso(time),
        });
        await expect(store.get(older.id)).resolves.toEqual(claimed);
        expect((await store.claim('w2', 30))?.id).toBe('an-a-newer');
        await expect(store.claim('w3', 30)).resolves.toBeNull();
      });

      it('never hands out a job whose lease is still valid', async () => {
        await createJob();
        await store.claim('w1', 30);
        advance(29_999);
        await expect(store.claim('w2', 30)).resolves.toBeNull();
      });

      it('rejects a bad owner or lease length as USAGE and claims nothing', async () => {
        const job = await createJob();
        for (const [owner, sec] of [['', 30], ['w 1', 30], ['w1', 0], ['w1', -5], ['w1', Number.NaN], ['w1', Number.POSITIVE_INFINITY]] as const) {
          expect(await codeOf(store.claim(owner, sec))).toBe('USAGE');
        }
        await expect(store.get(job.id)).resolves.toEqual(job);
      });

      it('R1: 20 concurrent claims of one job across stores: exactly one wins', async () => {
        const job = await createJob();
        const stores = await openMany(20);
        const results = await Promise.all(stores.map((s, i) => s.claim(`w${i}`, 30)));
        const winners = results.filter((r): r is JobRecord => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toMatchObject({ id: job.id, attempts: 1, version: 2 });
        expect(await store.get(job.id)).toMatchObject({ lease: winners[0].lease, attempts: 1, version: 2 });
      });

      it('R1: 20 claimers draining 10 jobs get each job exactly once', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push((await createJob()).id);
        const stores = await openMany(20);
        const claimed = await Promise.all(
          stores.map(async (s, i) => {
            const mine: string[] = [];
            for (let job = await s.claim(`w${i}`, 30); job !== null; job = await s.claim(`w${i}`, 30)) mine.push(job.id);
            return mine;
          }),
        );
        const all = claimed.flat();
        expect(all).toHaveLength(10);
        expect([...all].sort()).toEqual([...ids].sort());
        for (const record of await collect(store.list())) expect(record).toMatchObject({ status: 'running', attempts: 1, version: 2 });
      });

      it('R4: every running job carries a lease with an expiry, and no other job does', async () => {
        for (let i = 0; i < 6; i++) await createJob();
        const first = await store.claim('w1', 30);
        await store.claim('w2', 1);
        await store.claim('w3', 30);
        await store.complete(first?.id ?? '', 'w1', { status: 'succeeded' });
        advance(2000);
        await store.claim('w4', 30); // reclaims w2's expired job
        const queued = (await collect(store.list({ status: 'queued' })))[0];
        await store.requestCancel(queued.id);
        const records = await collect(store.list());
        expect(records.map((r) => r.status).sort()).toEqual(['cancelled', 'queued', 'queued', 'running', 'running', 'succeeded']);
        for (const record of records) expectLeaseInvariant(record);
        for (const record of records.filter((r) => r.status === 'running')) expect(Date.parse(record.lease?.expiresAt ?? '')).toBeGreaterThan(time);
      });
    });

    describe('R3: expired leases', () => {
      it('lets another worker reclaim a job whose lease expired, counting attempts, and ends in one terminal state', async () => {
        const job = await createJob();
        const first = await store.claim('crashed', 30);
        expect(first?.id).toBe(job.id);
        advance(30_000); // expiry is exclusive: at expiresAt the lease is gone
        const second = await store.claim('w2', 30);
        expect(second).toMatchObject({ id: job.id, status: 'running', attempts: 2, version: 3, lease: { owner: 'w2', expiresAt: iso(time + 30_000) } });
        // The first worker comes back: it can neither extend nor finish the job.
        expect(await codeOf(store.heartbeat(job.id, 'crashed', 30))).toBe('CONFLICT');
        expect(await codeOf(store.complete(job.id, 'crashed', { status: 'failed', error: { code: 'X', message: 'late' } }))).toBe('CONFLICT');
        const done = await store.complete(job.id, 'w2', { status: 'succeeded' });
        expect(done).toMatchObject({ status: 'succeeded', attempts: 2, lease: null, error: null });
        expect(await codeOf(store.complete(job.id, 'crashed', { status: 'succeeded' }))).toBe('CONFLICT');
        await expect(store.claim('w3', 30)).resolves.toBeNull();
        await expect(store.get(job.id)).resolves.toEqual(done);
      });

      it('prefers the oldest claimable job, whether queued or abandoned', async () => {
        const old = await createJob();
        await store.claim('crashed', 5);
        const newer = await createJob();
        advance(5000);
        expect((await store.claim('w2', 30))?.id).toBe(old.id);
        expect((await store.claim('w3', 30))?.id).toBe(newer.id);
      });

      it('lets the owner of an expired lease still complete when nobody reclaimed the job', async () => {
        const job = await createJob();
        await store.claim('slow', 5);
        advance(60_000);
        expect(await codeOf(store.heartbeat(job.id, 'slow', 5))).toBe('CONFLICT');
        await expect(store.complete(job.id, 'slow', { status: 'succeeded' })).resolves.toMatchObject({ status: 'succeeded', attempts: 1, lease: null });
        await expect(store.claim('w2', 30)).resolves.toBeNull();
      });

      it('after many expiries, concurrent reclaimers still produce exactly one terminal state', async () => {
        const job = await createJob();
        const stores = await openMany(5);
        for (let round = 1; round <= 4; round++) {
          const results = await Promise.all(stores.map((s, i) => s.claim(`r${round}-w${i}`, 10)));
          expect(results.filter((r) => r !== null)).toHaveLength(1);
          advance(10_000);
        }
        const last = await store.claim('finisher', 10);
        expect(last).toMatchObject({ id: job.id, attempts: 5 });
        const outcomes = await Promise.allSettled(
          stores.map((s, i) => s.complete(job.id, i === 0 ? 'finisher' : `r4-w${i}`, { status: 'succeeded' })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect(await store.get(job.id)).toMatchObject({ status: 'succeeded', attempts: 5, lease: null });
      });
    });

    describe('heartbeat', () => {
      it('extends the owner\'s lease and returns the record', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        advance(20_000);
        const beat = await store.heartbeat(job.id, 'w1', 45);
        expect(beat).toMatchObject({ id: job.id, status: 'running', version: 3, lease: { owner: 'w1', expiresAt: iso(time + 45_000) }, cancelRequested: false });
        advance(40_000); // past the original expiry, within the extended one
        await expect(store.claim('w2', 30)).resolves.toBeNull();
      });

      it('shows the worker a cancel request', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        await store.requestCancel(job.id);
        await expect(store.heartbeat(job.id, 'w1', 30)).resolves.toMatchObject({ status: 'running', cancelRequested: true });
      });

      it('is CONFLICT for another owner, a queued job or a finished one, and NOT_FOUND for an unknown id', async () => {
        const job = await createJob();
        expect(await codeOf(store.heartbeat(job.id, 'w1', 30))).toBe('CONFLICT');
        await store.claim('w1', 30);
        expect(await codeOf(store.heartbeat(job.id, 'w2', 30))).toBe('CONFLICT');
        await store.complete(job.id, 'w1', { status: 'succeeded' });
        expect(await codeOf(store.heartbeat(job.id, 'w1', 30))).toBe('CONFLICT');
        expect(await codeOf(store.heartbeat('an-missing', 'w1', 30))).toBe('NOT_FOUND');
        expect(await codeOf(store.heartbeat(job.id, 'w1', 0))).toBe('USAGE');
      });
    });

    describe('complete', () => {
      it('records each terminal outcome, drops the lease and keeps the error of a failure', async () => {
        const ids = [(await createJob()).id, (await createJob()).id, (await createJob()).id];
        for (const id of ids) expect((await store.claim('w1', 30))?.id).toBe(id);
        const ok = await store.complete(ids[0], 'w1', { status: 'succeeded' });
        const failed = await store.complete(ids[1], 'w1', { status: 'failed', error: { code: 'INPUT_TRUNCATED', message: 'ends early' } });
        const cancelled = await store.complete(ids[2], 'w1', { status: 'cancelled' });
        expect(ok).toMatchObject({ status: 'succeeded', lease: null, error: null, version: 3, attempts: 1 });
        expect(failed).toMatchObject({ status: 'failed', lease: null, error: { code: 'INPUT_TRUNCATED', message: 'ends early' } });
        expect(cancelled).toMatchObject({ status: 'cancelled', lease: null, error: null });
        await expect(store.countActive()).resolves.toEqual({ queued: 0, running: 0 });
      });

      it('returns the record when the same owner repeats the same outcome, without writing again', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        const outcome = { status: 'failed', error: { code: 'DECODE_FAILED', message: 'bad frame' } } as const;
        const done = await store.complete(job.id, 'w1', outcome);
        advance(1000);
        await expect(store.complete(job.id, 'w1', { ...outcome, error: { message: 'bad frame', code: 'DECODE_FAILED' } })).resolves.toEqual(done);
        await expect(store.get(job.id)).resolves.toEqual(done);
      });

      it('is CONFLICT for a different outcome, another owner or a job never claimed', async () => {
        const job = await createJob();
        expect(await codeOf(store.complete(job.id, 'w1', { status: 'succeeded' }))).toBe('CONFLICT');
        await store.claim('w1', 30);
        expect(await codeOf(store.complete(job.id, 'w2', { status: 'succeeded' }))).toBe('CONFLICT');
        await store.complete(job.id, 'w1', { status: 'succeeded' });
        expect(await codeOf(store.complete(job.id, 'w1', { status: 'cancelled' }))).toBe('CONFLICT');
        expect(await codeOf(store.complete(job.id, 'w1', { status: 'failed', error: { code: 'X', message: 'y' } }))).toBe('CONFLICT');
        expect(await codeOf(store.complete(job.id, 'w2', { status: 'succeeded' }))).toBe('CONFLICT');
        expect(await store.get(job.id)).toMatchObject({ status: 'succeeded', version: 3 });
        expect(await codeOf(store.complete('an-missing', 'w1', { status: 'succeeded' }))).toBe('NOT_FOUND');
      });

      it.each([
        ['a non-terminal status', { status: 'running' }],
        ['a failure without an error', { status: 'failed' }],
        ['a success with an error', { status: 'succeeded', error: { code: 'X', message: 'y' } }],
      ])('rejects %s as USAGE', async (_what, outcome) => {
        const job = await createJob();
        await store.claim('w1', 30);
        expect(await codeOf(store.complete(job.id, 'w1', outcome as never))).toBe('USAGE');
        expect(await store.get(job.id)).toMatchObject({ status: 'running' });
      });
    });

    describe('R7: concurrent updates', () => {
      it('lets exactly one of two racing completes win; the loser sees CONFLICT', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        const [a, b] = await openMany(2);
        const results = await Promise.allSettled([
          a.complete(job.id, 'w1', { status: 'succeeded' }),
          b.complete(job.id, 'w1', { status: 'failed', error: { code: 'DECODE_FAILED', message: 'x' } }),
        ]);
        const won = results.filter((r): r is PromiseFulfilledResult<JobRecord> => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].reason).toMatchObject({ code: 'CONFLICT' });
        await expect(store.get(job.id)).resolves.toEqual(won[0].value);
      });

      it('counts every successful write in version, and nothing else', async () => {
        const job = await createJob(); // write 1
        const stores = await openMany(4);
        await store.claim('w1', 30); // write 2
        const beats = await Promise.allSettled(stores.flatMap((s) => [s.heartbeat(job.id, 'w1', 30), s.heartbeat(job.id, 'intruder', 30)]));
        await store.requestCancel(job.id); // write: cancelRequested
        await store.requestCancel(job.id); // no write: already requested
        const racing = await Promise.allSettled([
          ...stores.map((s) => s.heartbeat(job.id, 'w1', 30)),
          stores[0].complete(job.id, 'w1', { status: 'cancelled' }),
          stores[1].complete(job.id, 'w1', { status: 'cancelled' }),
        ]);
        await store.requestCancel(job.id); // no write: terminal
        const succeededBeats = [...beats, ...racing.slice(0, 4)].filter((r) => r.status === 'fulfilled').length;
        expect(beats.filter((r) => r.status === 'rejected')).toHaveLength(4);
        const final = await store.get(job.id);
        expect(final).toMatchObject({ status: 'cancelled', cancelRequested: true });
        expect(final?.version).toBe(1 + 1 + succeededBeats + 1 + 1);
      });
    });

    describe('requestCancel', () => {
      it('cancels a queued job at once, so nobody claims it', async () => {
        const job = await createJob();
        const cancelled = await store.requestCancel(job.id);
        expect(cancelled).toMatchObject({ status: 'cancelled', version: 2, lease: null });
        await expect(store.claim('w1', 30)).resolves.toBeNull();
        await expect(store.requestCancel(job.id)).resolves.toEqual(cancelled);
      });

      it('flags a running job and leaves it running for its worker to finish', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        const flagged = await store.requestCancel(job.id);
        expect(flagged).toMatchObject({ status: 'running', cancelRequested: true, version: 3, lease: { owner: 'w1' } });
        await expect(store.requestCancel(job.id)).resolves.toEqual(flagged);
        await expect(store.complete(job.id, 'w1', { status: 'cancelled' })).resolves.toMatchObject({ status: 'cancelled', cancelRequested: true });
      });

      it('returns a terminal job unchanged and NOT_FOUND for an unknown one', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        const done = await store.complete(job.id, 'w1', { status: 'succeeded' });
        advance(1000);
        await expect(store.requestCancel(job.id)).resolves.toEqual(done);
        expect(await codeOf(store.requestCancel('an-missing'))).toBe('NOT_FOUND');
      });

      it('racing a claim, ends either cancelled and unclaimed or running with the flag set', async () => {
        for (let i = 0; i < 10; i++) {
          const job = await createJob();
          const [a, b] = await openMany(2);
          const [claimed] = await Promise.all([a.claim('w1', 30), b.requestCancel(job.id)]);
          const final = await store.get(job.id);
          if (claimed === null) expect(final).toMatchObject({ status: 'cancelled', attempts: 0 });
          else expect(final).toMatchObject({ status: 'running', cancelRequested: true, attempts: 1 });
        }
      });
    });

    describe('countActive', () => {
      it('counts queued and running jobs, not terminal ones', async () => {
        await expect(store.countActive()).resolves.toEqual({ queued: 0, running: 0 });
        for (let i = 0; i < 5; i++) await createJob();
        const a = await store.claim('w1', 30);
        await store.claim('w2', 30);
        await store.complete(a?.id ?? '', 'w1', { status: 'succeeded' });
        const queued = (await collect(store.list({ status: 'queued' })))[0];
        await store.requestCancel(queued.id);
        await expect(store.countActive()).resolves.toEqual({ queued: 2, running: 1 });
      });
    });

    describe('events', () => {
      it('numbers events 1, 2, 3 per job and lists them after a seq, oldest first', async () => {
        const a = await createJob();
        const b = await createJob();
        expect(await store.appendEvent(a.id, 'status', { status: 'queued' })).toBe(1);
        advance(5);
        expect(await store.appendEvent(a.id, 'defect.opened', { type: 'black', startSec: 1.5, nested: { ok: true, list: [1, 'x'] } })).toBe(2);
        expect(await store.appendEvent(b.id, 'progress', { ratio: 0.5 })).toBe(1);
        expect(await store.appendEvent(a.id, 'defect.closed', { type: 'black', endSec: 3 })).toBe(3);
        const events = await store.listEvents(a.id, 0);
        expect(events).toEqual([
          { seq: 1, type: 'status', at: iso(time - 5), data: { status: 'queued' } },
          { seq: 2, type: 'defect.opened', at: iso(time), data: { type: 'black', startSec: 1.5, nested: { ok: true, list: [1, 'x'] } } },
          { seq: 3, type: 'defect.closed', at: iso(time), data: { type: 'black', endSec: 3 } },
        ]);
        expect((await store.listEvents(a.id, 1)).map((e) => e.seq)).toEqual([2, 3]);
        expect((await store.listEvents(a.id, 0, 2)).map((e) => e.seq)).toEqual([1, 2]);
        await expect(store.listEvents(a.id, 3)).resolves.toEqual([]);
        expect((await store.listEvents(b.id, 0)).map((e) => e.type)).toEqual(['progress']);
      });

      it('assigns gapless, unique seqs to concurrent appenders on several stores', async () => {
        const job = await createJob();
        const other = await createJob();
        const stores = await openMany(5);
        const seqs = await Promise.all(
          stores.flatMap((s, i) => Array.from({ length: 20 }, (_, n) => s.appendEvent(n % 4 === 0 ? other.id : job.id, 'progress', { writer: i, n }))),
        );
        const mine = await store.listEvents(job.id, 0);
        expect(mine.map((e) => e.seq)).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
        expect((await store.listEvents(other.id, 0)).map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
        expect(seqs.filter((_, k) => k % 20 % 4 !== 0).sort((x, y) => x - y)).toEqual(mine.map((e) => e.seq));
      });

      it('keeps appending after the job is finished', async () => {
        const job = await createJob();
        await store.claim('w1', 30);
        await store.complete(job.id, 'w1', { status: 'succeeded' });
        await expect(store.appendEvent(job.id, 'status', { status: 'succeeded' })).resolves.toBe(1);
      });

      it('is NOT_FOUND for an unknown job and USAGE for a bad type, data or page', async () => {
        const job = await createJob();
        expect(await codeOf(store.appendEvent('an-missing', 'status', {}))).toBe('NOT_FOUND');
        expect(await codeOf(store.listEvents('an-missing', 0))).toBe('NOT_FOUND');
        expect(await codeOf(store.appendEvent(job.id, 'nope' as JobEventType, {}))).toBe('USAGE');
        expect(await codeOf(store.appendEvent(job.id, 'status', [] as never))).toBe('USAGE');
        expect(await codeOf(store.listEvents(job.id, -1))).toBe('USAGE');
        expect(await codeOf(store.listEvents(job.id, 0, 0))).toBe('USAGE');
        await expect(store.listEvents(job.id, 0)).resolves.toEqual([]);
      });
    });
  });
}
