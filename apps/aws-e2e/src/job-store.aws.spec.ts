/**
 * The DynamoDB JobStore against dynalite on loopback, directly and through the fault proxy:
 * the JobStore conformance suite plus RELIABILITY R1, R2, R4, R7, R10, R11, R12 and R13.
 */
import { defineTable, getConsistent, putIfAbsent, conditionalUpdate, updateIfVersion } from '@framewatch/dynamo';
import { startDynalite, startFaultProxy, type FaultProxy, type RunningDynalite } from '@framewatch/emulators';
import { failureOf } from '@framewatch/errors/testing';
import type { JobRecord, JobStore } from '@framewatch/storage';
import { createDynamoJobStore } from '@framewatch/storage/aws';
import { describeJobStoreConformance } from '@framewatch/storage/testing';
import { createDynamoHarness } from './dynamo-harness';

const UPDATE_ITEM = /X-Amz-Target: DynamoDB_20120810\.UpdateItem/i;
const SOURCE = { url: 'https://media.example/a.mp4' } as const;
/** What DynamoDB answers when a table's or account's request rate is exceeded. */
const THROTTLED = {
  status: 400,
  headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': 'r13' },
  body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
};

/** The SDK's invocation id and attempt number of a request head (`amz-sdk-invocation-id`, `amz-sdk-request`). */
function attemptOf(head: string): { invocation: string; attempt: number } {
  const invocation = /\namz-sdk-invocation-id:\s*(\S+)/i.exec(head)?.[1] ?? '';
  const attempt = Number(/\namz-sdk-request:\s*attempt=(\d+)/i.exec(head)?.[1] ?? 0);
  return { invocation, attempt };
}

let dynamo: RunningDynalite;
let proxy: FaultProxy;
const harness = createDynamoHarness();
const tables = new Set<string>();

beforeAll(async () => {
  dynamo = await startDynalite();
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: dynamo.port }, seed: 20270101 });
});

afterAll(async () => {
  harness.destroyAll();
  await proxy.close();
  await dynamo.stop();
});

async function ensureTable(name: string): Promise<void> {
  if (tables.has(name)) return;
  await harness.createJobTable(dynamo.endpoint, name);
  tables.add(name);
}


describeJobStoreConformance('dynamodb (dynalite)', async ({ now, namespace }) => {
  await ensureTable(namespace);
  return createDynamoJobStore({ client: harness.doc(dynamo.endpoint), tableName: namespace, now });
});

describe('DynamoDB JobStore under faults (fault proxy in front of dynalite)', () => {
  let tableName: string;
  let direct: JobStore;
  let counter = 0;

  beforeEach(async () => {
    proxy.reset({ clearStats: true });
    tableName = `faults-${process.pid}-${++counter}`;
    await ensureTable(tableName);
    direct = createDynamoJobStore({ client: harness.doc(dynamo.endpoint), tableName });
  });

  afterEach(() => {
    proxy.reset();
  });

  const viaProxy = (config: Parameters<typeof harness.doc>[1] = {}): JobStore =>
    createDynamoJobStore({ client: harness.doc(proxy.endpoint, config), tableName });

  it('R1: 20 concurrent claims from 20 separate clients: exactly one wins', async () => {
    const job = await direct.create({ source: SOURCE });
    const stores = Array.from({ length: 20 }, () => viaProxy());
    const results = await Promise.all(stores.map((s, i) => s.claim(`worker-${i}`, 30)));
    const winners = results.filter((r): r is JobRecord => r !== null);
    expect(winners).toHaveLength(1);
    expect(await direct.get(job.id)).toMatchObject({ status: 'running', attempts: 1, version: 2, lease: { owner: winners[0].lease?.owner } });
  });

  it('R2: a claim whose response is lost is recognised as ours on the retry; nobody else gets the job', async () => {
    const job = await direct.create({ source: SOURCE });
    const worker = viaProxy({ maxAttempts: 3 });
    proxy.dropNextResponses(1, { match: UPDATE_ITEM });
    const claimed = await worker.claim('w1', 30);
    expect(proxy.stats().drops).toBe(1);
    // The first UpdateItem was applied, its ack lost; the SDK's retry failed its condition
    // against our own write, and the read-back found our owner and token.
    expect(claimed).toMatchObject({ id: job.id, status: 'running', attempts: 1, version: 2, lease: { owner: 'w1' } });
    await expect(viaProxy().claim('w2', 30)).resolves.toBeNull();
    expect(await direct.get(job.id)).toMatchObject({ attempts: 1, version: 2, lease: { owner: 'w1' } });
  });

  it('R2: a completion whose response is lost returns the recorded outcome, written once', async () => {
    const job = await direct.create({ source: SOURCE });
    const worker = viaProxy({ maxAttempts: 3 });
    await worker.claim('w1', 30);
    proxy.dropNextResponses(1, { match: UPDATE_ITEM });
    const done = await worker.complete(job.id, 'w1', { status: 'succeeded' });
    expect(proxy.stats().drops).toBe(1);
    expect(done).toMatchObject({ status: 'succeeded', version: 3, lease: null });
    await expect(direct.get(job.id)).resolves.toEqual(done);
  });

  it('R2/R4: under seeded random resets and lost acks, every job is claimed once and every running job has a lease', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await direct.create({ source: { url: `https://media.example/${i}.mp4` } })).id);
    const worker = viaProxy({ maxAttempts: 6 });
    proxy.chaos({ resetProbability: 0.15, dropProbability: 0.15 });
    const claimed: string[] = [];
    let transportFailures = 0;
    for (let round = 0; round < 100; round++) {
      let job: JobRecord | null;
      try {
        job = await worker.claim('w1', 300);
      } catch (err) {
        expect(err).toMatchObject({ code: 'UNAVAILABLE' });
        transportFailures++;
        continue;
      }
      if (job === null) break;
      claimed.push(job.id);
    }
    proxy.chaos(null);
    const context = `seed ${proxy.seed}, ${JSON.stringify(proxy.stats())}, transport failures ${transportFailures}`;
    expect({ context, faults: proxy.stats().resets + proxy.stats().drops > 0 }).toEqual({ context, faults: true });
    expect({ context, claimed: [...claimed].sort() }).toEqual({ context, claimed: [...ids].sort() });
    for (const id of ids) {
      const record = await direct.get(id);
      expect(record).toMatchObject({ status: 'running', attempts: 1, lease: { owner: 'w1', expiresAt: expect.any(String) } });
    }
  });

  it('R7: racing writers with optimistic locking: each loser re-reads, and the version counts every write', async () => {
    const doc = harness.doc(proxy.endpoint);
    const table = defineTable<{ pk: string; sk: string; version?: number; writers?: string[] }>({
      name: tableName,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    });
    const key = { pk: 'TEST#r7', sk: 'COUNTER' };
    await putIfAbsent(doc, table, { ...key, version: 1, writers: [] });
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        for (;;) {
          const current = await getConsistent(doc, table, key);
          const result = await updateIfVersion(doc, table, key, current?.version ?? 0, { set: { writers: [...(current?.writers ?? []), `w${i}`] } });
          if (result.written) return;
          conflicts++;
        }
      }),
    );
    const final = await getConsistent(doc, table, key);
    expect(final?.version).toBe(1 + 8);
    expect([...(final?.writers ?? [])].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `w${i}`).sort());
    expect(conflicts).toBeGreaterThan(0);
  });

  it('R10: connection resets on (attempts - 1) attempts, then success; the proxy counts exactly maxAttempts requests', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 4 });
    proxy.resetNext(3);
    await expect(store.get(job.id)).resolves.toEqual(job);
    expect(proxy.stats()).toMatchObject({ requests: 4, resets: 3, forwarded: 1 });
  });

  it('R10: resets on every attempt end as UNAVAILABLE after exactly maxAttempts requests', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 3 });
    proxy.resetNext(3);
    const err = await failureOf(store.get(job.id));
    expect(err).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'network', attempts: 3 } });
    expect(proxy.stats()).toMatchObject({ requests: 3, resets: 3, forwarded: 0 });
  });

  it('R11: a black-holed DynamoDB fails with a TimeoutError as UNAVAILABLE within the configured bound', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 2, requestTimeoutMs: 300, connectTimeoutMs: 300 });
    proxy.blackHole(true);
    const started = Date.now();
    const err = await failureOf(store.get(job.id));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'timeout', awsError: 'TimeoutError' } });
    expect(elapsed).toBeGreaterThanOrEqual(2 * 300 - 50);
    expect(elapsed).toBeLessThan(3000); // two attempts of 300 ms plus back-off, never the SDK's minutes
    expect(proxy.stats().blackHoled).toBeGreaterThanOrEqual(1);
  });

  it('R13: throttled twice, then served: the third attempt succeeds and every attempt is the same call', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 3 });
    proxy.respondNext(2, THROTTLED);
    await expect(store.get(job.id)).resolves.toEqual(job);
    expect(proxy.stats()).toMatchObject({ requests: 3, responded: 2, forwarded: 1 });
    const attempts = proxy.requests().map((r) => attemptOf(r.head));
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((a) => a.invocation)).size).toBe(1);
  });

  it('R13: throttled on every attempt: UNAVAILABLE (throttled) after exactly maxAttempts requests', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 3 });
    proxy.respondNext(3, THROTTLED);
    expect(await failureOf(store.get(job.id))).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'throttled', attempts: 3 } });
    expect(proxy.stats()).toMatchObject({ requests: 3, responded: 3, forwarded: 0 });
  });

  it('R13: sustained throttling of 60 concurrent calls: retries are spaced by back-off and capped by the retry quota (no retry storm)', async () => {
    const job = await direct.create({ source: SOURCE });
    const store = viaProxy({ maxAttempts: 3 });
    proxy.respondNext(10_000, THROTTLED);
    const calls = 60;
    const failures = await Promise.all(Array.from({ length: calls }, () => failureOf(store.get(job.id))));
    for (const err of failures) expect(err).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'throttled' } });
    const seen = proxy.requests();
    const context = JSON.stringify(proxy.stats());
    // Every call tried once; the client's retry quota (shared by its calls) stopped retrying
    // before every call had used all its attempts: fewer than calls × maxAttempts requests.
    expect({ context, atLeastOnePerCall: seen.length >= calls, belowFullRetries: seen.length < calls * 3 }).toEqual({ context, atLeastOnePerCall: true, belowFullRetries: true });
    expect(proxy.stats().forwarded).toBe(0);
    // Back-off: a retry waits a jittered, growing delay (the SDK's throttling base is 500 ms),
    // never an immediate resend. Averaged over every retry, so jitter cannot make it flaky.
    const firstSeen = new Map<string, number>();
    const lastSeen = new Map<string, number>();
    const gaps: number[] = [];
    for (const r of seen) {
      const { invocation } = attemptOf(r.head);
      const previous = lastSeen.get(invocation);
      if (previous !== undefined) gaps.push(r.at - previous);
      else firstSeen.set(invocation, r.at);
      lastSeen.set(invocation, r.at);
    }
    expect(firstSeen.size).toBe(calls);
    expect(gaps.length).toBeGreaterThan(0);
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect({ context, meanGapAtLeast100ms: meanGap >= 100 }).toEqual({ context, meanGapAtLeast100ms: true });
  });

  it('R12: a conditional check failure and a validation error are sent exactly once', async () => {
    const doc = harness.doc(proxy.endpoint, { maxAttempts: 5 });
    const table = defineTable<{ pk: string; sk: string }>({ name: tableName, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } });
    await putIfAbsent(doc, table, { pk: 'TEST#r12', sk: 'X' });
    proxy.reset({ clearStats: true });
    await expect(putIfAbsent(doc, table, { pk: 'TEST#r12', sk: 'X' })).resolves.toEqual({ written: false });
    expect(proxy.stats().requests).toBe(1);

    proxy.reset({ clearStats: true });
    const err = await failureOf(
      conditionalUpdate(doc, table, { key: { pk: 'TEST#r12', sk: 'X' }, update: { set: { a: 1 } }, condition: { expression: 'this is not an expression' } }),
    );
    expect(err).toMatchObject({ code: 'USAGE', detail: { attempts: 1 } });
    expect(proxy.stats().requests).toBe(1);

    // At the store level: a heartbeat on a job nobody holds is one UpdateItem plus one read.
    const job = await direct.create({ source: SOURCE });
    proxy.reset({ clearStats: true });
    expect(await failureOf(viaProxy({ maxAttempts: 5 }).heartbeat(job.id, 'w1', 30))).toMatchObject({ code: 'CONFLICT' });
    expect(proxy.stats().requests).toBe(2);
  });
});
