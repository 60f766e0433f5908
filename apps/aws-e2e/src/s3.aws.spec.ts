/**
 * The S3 adapters against s3rver on loopback: the port conformance suites, then RELIABILITY.md
 * R8 (retried / racing writes), multipart round trips, and R10–R12 through the TCP fault proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { failureOf } from '@framewatch/errors/testing';
import { type FaultProxy, type RunningS3rver, startFaultProxy, startS3rver } from '@framewatch/emulators';
import { S3_MULTIPART_THRESHOLD, createS3FrameHandoff, createS3ResultStore } from '@framewatch/storage/aws';
import { describeFrameHandoffConformance, describeResultStoreConformance, sampleResult } from '@framewatch/storage/testing';
import { listS3Keys, makeS3Client, readS3Object, writeS3Object } from './s3-clients';

jest.setTimeout(60_000);

const RESULTS = 'fw-results';
const FRAMES = 'fw-frames';

let dir = '';
let s3: RunningS3rver;
let client: S3Client;
let run = 0;
/** A fresh prefix per store makes every store start empty in the shared buckets. */
const nextPrefix = (): string => `t${++run}/`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'framewatch-s3-e2e-'));
  s3 = await startS3rver({ dir, buckets: [RESULTS, FRAMES] });
  client = makeS3Client({ endpoint: s3.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});


function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('S3 adapters on s3rver', () => {
  const prefixes = new Map<object, string>();

  describeResultStoreConformance(
    'S3 (s3rver, one list page per 2 keys)',
    () => {
      const prefix = nextPrefix();
      // A tiny page size makes every multi-result test page through ListObjectsV2 continuations.
      const store = createS3ResultStore({ client, bucket: RESULTS, prefix, listPageSize: 2 });
      prefixes.set(store, prefix);
      return store;
    },
    {
      corrupt: (store, id) => writeS3Object(client, RESULTS, `${prefixes.get(store)}results/${id}/report.json`, '{"schemaVersion": 1, "id": '),
      readArtifact: (_store, locator) => readS3Object(client, RESULTS, locator),
    },
  );

  describeFrameHandoffConformance('S3 (s3rver)', () => createS3FrameHandoff({ client, bucket: FRAMES, prefix: nextPrefix() }));

  describe('key layout', () => {
    it('keeps reports and artifacts at <prefix>results/<id>/<name>, frames at <prefix>frames/<key>', async () => {
      const prefix = nextPrefix();
      const results = createS3ResultStore({ client, bucket: RESULTS, prefix });
      await results.put(sampleResult('an-1'));
      const locator = await results.putArtifact('an-1', 'report.html', '<p>', 'text/html');
      expect(locator).toBe(`${prefix}results/an-1/report.html`);
      expect((await listS3Keys(client, RESULTS, prefix)).sort()).toEqual([`${prefix}results/an-1/report.html`, `${prefix}results/an-1/report.json`]);

      const frames = createS3FrameHandoff({ client, bucket: FRAMES, prefix });
      await frames.put('an-1/video/000001.fwf', new Uint8Array([1, 2, 3]));
      expect(await listS3Keys(client, FRAMES, prefix)).toEqual([`${prefix}frames/an-1/video/000001.fwf`]);
    });

    it('rejects a prefix that does not end in "/" or could escape, before any request', () => {
      for (const prefix of ['prod', '/prod/', '../', 'a//']) {
        expect(() => createS3ResultStore({ client, bucket: RESULTS, prefix })).toThrow(expect.objectContaining({ code: 'USAGE' }));
        expect(() => createS3FrameHandoff({ client, bucket: FRAMES, prefix })).toThrow(expect.objectContaining({ code: 'USAGE' }));
      }
    });

    it('pages a listing one key at a time and still yields each result once, skipping artifacts', async () => {
      const store = createS3ResultStore({ client, bucket: RESULTS, prefix: nextPrefix(), listPageSize: 1 });
      const ids = ['an-5', 'an-1', 'an-3', 'an-2', 'an-4'];
      for (const id of ids) {
        await store.putArtifact(id, 'report.html', `<p>${id}</p>`, 'text/html');
        await store.put(sampleResult(id));
      }
      const seen: string[] = [];
      for await (const result of store.list({ after: 'an-1' })) seen.push(result.id);
      expect(seen).toEqual(['an-2', 'an-3', 'an-4', 'an-5']);
    });
  });

  describe('multipart uploads', () => {
    it(`round-trips an artifact larger than the ${S3_MULTIPART_THRESHOLD / 1024 / 1024} MiB threshold byte-exact, in several parts`, async () => {
      const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: s3.port } });
      const proxied = makeS3Client({ endpoint: proxy.endpoint });
      try {
        const prefix = nextPrefix();
        const store = createS3ResultStore({ client: proxied, bucket: RESULTS, prefix, partSize: 5 * 1024 * 1024 });
        const bytes = pattern(S3_MULTIPART_THRESHOLD + 12_345, 7);
        const locator = await store.putArtifact('an-big', 'recording.ts', bytes, 'video/mp2t');
        // CreateMultipartUpload + 2 UploadPart + CompleteMultipartUpload: it really went multipart.
        expect(proxy.stats().requests).toBe(4);
        const back = await readS3Object(client, RESULTS, locator);
        expect(back.byteLength).toBe(bytes.byteLength);
        expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
        // No half-finished upload is left behind as an object.
        expect(await listS3Keys(client, RESULTS, prefix)).toEqual([locator]);
      } finally {
        proxied.destroy();
        await proxy.close();
      }
    });

    it('round-trips a frame batch above a lowered threshold through a multipart upload', async () => {
      const frames = createS3FrameHandoff({ client, bucket: FRAMES, prefix: nextPrefix(), multipartThreshold: 1024 * 1024, partSize: 5 * 1024 * 1024 });
      const bytes = pattern(11 * 1024 * 1024 + 1, 3).subarray(1);
      await frames.put('an-1/video/000001.fwf', bytes);
      expect(Buffer.from(await frames.get('an-1/video/000001.fwf')).equals(Buffer.from(bytes))).toBe(true);
      expect(frames.stats()).toMatchObject({ puts: 1, gets: 1, bytesWritten: bytes.byteLength, bytesRead: bytes.byteLength });
    });
  });

  describe('through the fault proxy', () => {
    let proxy: FaultProxy;
    const clients: S3Client[] = [];
    const proxiedClient = (options: { maxAttempts: number; requestTimeoutMs?: number; credentials?: { accessKeyId: string; secretAccessKey: string } }): S3Client => {
      const made = makeS3Client({ endpoint: proxy.endpoint, ...options });
      clients.push(made);
      return made;
    };

    beforeEach(async () => {
      proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: s3.port } });
    });
    afterEach(async () => {
      for (const made of clients.splice(0)) made.destroy();
      await proxy.close();
    });

    describe('R8: a retried write leaves one consistent object', () => {
      it('a put whose response is lost is retried by the SDK onto the same key: one result, unchanged', async () => {
        const prefix = nextPrefix();
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts: 3 }), bucket: RESULTS, prefix });
        const result = sampleResult('an-lost-ack');
        proxy.dropNextResponses(1);
        await store.put(result);
        expect(proxy.stats()).toMatchObject({ drops: 1, forwarded: 2 });
        await expect(store.get('an-lost-ack')).resolves.toEqual(result);
        expect(await listS3Keys(client, RESULTS, prefix)).toEqual([`${prefix}results/an-lost-ack/report.json`]);
      });

      it('an artifact write retried by the caller after a lost ack leaves one object with the last bytes', async () => {
        const prefix = nextPrefix();
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts: 1 }), bucket: RESULTS, prefix });
        proxy.dropNextResponses(1);
        const lost = await failureOf(store.putArtifact('an-1', 'report.html', '<p>v1</p>', 'text/html'));
        expect(lost.code).toBe('UNAVAILABLE');
        const locator = await store.putArtifact('an-1', 'report.html', '<p>v1</p>', 'text/html');
        expect(Buffer.from(await readS3Object(client, RESULTS, locator)).toString()).toBe('<p>v1</p>');
        expect(await listS3Keys(client, RESULTS, prefix)).toEqual([locator]);
      });

      it('two writers racing on one id, each retried after resets, leave exactly one writer\'s result', async () => {
        const prefix = nextPrefix();
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts: 4 }), bucket: RESULTS, prefix });
        const a = sampleResult('an-race', { source: 'writer-a.mp4' });
        const b = sampleResult('an-race', { source: 'writer-b.mp4', status: 'failed' });
        proxy.resetNext(2);
        await Promise.all([store.put(a), store.put(b), store.put(a), store.put(b)]);
        const stored = await store.get('an-race');
        expect([a, b]).toContainEqual(stored);
        expect(await listS3Keys(client, RESULTS, prefix)).toEqual([`${prefix}results/an-race/report.json`]);
      });
    });

    describe('R10: connection resets × (attempts − 1), then success', () => {
      it.each([2, 3, 4])('with maxAttempts %i, a result put and get succeed after attempts − 1 resets each', async (maxAttempts) => {
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts }), bucket: RESULTS, prefix: nextPrefix() });
        proxy.resetNext(maxAttempts - 1);
        await store.put(sampleResult('an-1'));
        expect(proxy.stats()).toMatchObject({ requests: maxAttempts, resets: maxAttempts - 1, forwarded: 1 });
        proxy.reset({ clearStats: true });
        proxy.resetNext(maxAttempts - 1);
        await expect(store.get('an-1')).resolves.toEqual(sampleResult('an-1'));
        expect(proxy.stats()).toMatchObject({ requests: maxAttempts, resets: maxAttempts - 1, forwarded: 1 });
      });

      it('frame handoff put, get and delete each succeed after two resets with maxAttempts 3', async () => {
        const frames = createS3FrameHandoff({ client: proxiedClient({ maxAttempts: 3 }), bucket: FRAMES, prefix: nextPrefix() });
        const bytes = pattern(64 * 1024, 5);
        for (const call of [() => frames.put('k', bytes), () => frames.get('k'), () => frames.delete('k')]) {
          proxy.reset({ clearStats: true });
          proxy.resetNext(2);
          await call();
          expect(proxy.stats()).toMatchObject({ requests: 3, resets: 2, forwarded: 1 });
        }
        expect(frames.stats()).toEqual({ puts: 1, gets: 1, deletes: 1, bytesWritten: bytes.byteLength, bytesRead: bytes.byteLength });
      });

      it('one reset more than the retries allow is UNAVAILABLE after exactly maxAttempts attempts', async () => {
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts: 3 }), bucket: RESULTS, prefix: nextPrefix() });
        proxy.resetNext(3);
        const error = await failureOf(store.put(sampleResult('an-1')));
        expect(error).toMatchObject({ code: 'UNAVAILABLE', detail: { id: 'an-1', awsCode: 'TimeoutError', networkCode: 'ECONNRESET', retryable: true, attempts: 3 } });
        expect(proxy.stats()).toMatchObject({ requests: 3, resets: 3, forwarded: 0 });
      });
    });

    describe('R11: a black-holed upstream', () => {
      it('fails with a TimeoutError wrapped as UNAVAILABLE within attempts × timeout plus a margin', async () => {
        const maxAttempts = 2;
        const requestTimeoutMs = 400;
        const store = createS3ResultStore({ client: proxiedClient({ maxAttempts, requestTimeoutMs }), bucket: RESULTS, prefix: nextPrefix() });
        proxy.blackHole(true);
        const started = Date.now();
        const error = await failureOf(store.get('an-1'));
        const elapsed = Date.now() - started;
        expect(error).toMatchObject({ code: 'UNAVAILABLE', detail: { awsCode: 'TimeoutError', networkCode: 'ETIMEDOUT', retryable: true, attempts: maxAttempts } });
        expect(elapsed).toBeGreaterThanOrEqual(maxAttempts * requestTimeoutMs - 50);
        expect(elapsed).toBeLessThan(maxAttempts * requestTimeoutMs + 3000);
        expect(proxy.stats().blackHoled).toBeGreaterThanOrEqual(1);
      });

      it('recovers once the black hole closes: the same client works again', async () => {
        // Long enough that a loaded machine's s3rver answers the recovery call in time.
        const frames = createS3FrameHandoff({ client: proxiedClient({ maxAttempts: 1, requestTimeoutMs: 1500 }), bucket: FRAMES, prefix: nextPrefix() });
        proxy.blackHole(true);
        expect((await failureOf(frames.put('k', new Uint8Array([1])))).code).toBe('UNAVAILABLE');
        proxy.blackHole(false);
        await frames.put('k', new Uint8Array([2]));
        expect([...(await frames.get('k'))]).toEqual([2]);
      });
    });

    describe('R12: non-retryable errors take exactly one attempt', () => {
      // s3rver does not check SigV4 signatures, so a wrong secret passes; an unknown key id does not.
      it('an unknown access key (403 InvalidAccessKeyId) is UNAVAILABLE, not retryable, after one attempt', async () => {
        const store = createS3ResultStore({
          client: proxiedClient({ maxAttempts: 4, credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'wrong-secret' } }),
          bucket: RESULTS,
          prefix: nextPrefix(),
        });
        const error = await failureOf(store.put(sampleResult('an-1')));
        expect(error).toMatchObject({ code: 'UNAVAILABLE', detail: { awsCode: 'InvalidAccessKeyId', httpStatus: 403, retryable: false, attempts: 1 } });
        expect(error.message).not.toContain('wrong-secret');
        expect(proxy.stats()).toMatchObject({ requests: 1, forwarded: 1 });
      });

      it('a missing bucket (NoSuchBucket) is UNAVAILABLE, not retryable, after one attempt', async () => {
        const frames = createS3FrameHandoff({ client: proxiedClient({ maxAttempts: 4 }), bucket: 'fw-missing', prefix: nextPrefix() });
        const error = await failureOf(frames.get('k'));
        expect(error).toMatchObject({ code: 'UNAVAILABLE', detail: { awsCode: 'NoSuchBucket', httpStatus: 404, retryable: false, attempts: 1 } });
        expect(proxy.stats()).toMatchObject({ requests: 1 });
      });

      it('a missing key is NOT_FOUND (frames) or null (results) after one attempt', async () => {
        const made = proxiedClient({ maxAttempts: 4 });
        const prefix = nextPrefix();
        await expect(createS3ResultStore({ client: made, bucket: RESULTS, prefix }).get('an-none')).resolves.toBeNull();
        expect((await failureOf(createS3FrameHandoff({ client: made, bucket: FRAMES, prefix }).get('none'))).code).toBe('NOT_FOUND');
        expect(proxy.stats()).toMatchObject({ requests: 2 });
      });
    });
  });
});
