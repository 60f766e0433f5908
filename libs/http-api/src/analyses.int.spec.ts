import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { SourceRejectedError } from '@framewatch/errors';
import { sampleResult } from '@framewatch/storage/testing';
import { startTestApi, testLimits } from './testing/harness';
import type { TestApi } from './testing/harness';

const json = { 'content-type': 'application/json' } as const;

async function submit(api: TestApi, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.baseUrl}/v1/analyses`, {
    method: 'POST',
    headers: { ...json, ...(await api.auth()), ...headers },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/analyses (JSON)', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi({ knownDetectors: ['black', 'freeze', 'silence'] });
  });
  afterEach(() => api.close());

  it('queues a URL source and answers 202 with Location and the job view', async () => {
    const res = await submit(api, { source: { url: 'https://media.example.com/a.mp4' }, detectors: ['black'] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'queued', source: { url: 'https://media.example.com/a.mp4' }, detectors: ['black'], attempts: 0, error: null });
    expect(body.id).toMatch(/^an-/);
    expect(res.headers.get('location')).toBe(`/v1/analyses/${body.id as string}`);
    expect(api.validatedUrls).toEqual(['https://media.example.com/a.mp4']);
    const stored = await api.jobs.get(body.id as string);
    expect(stored?.source).toEqual({ url: 'https://media.example.com/a.mp4' });
  });

  it('queues an S3 source without calling the URL rules', async () => {
    const res = await submit(api, { source: { s3: { bucket: 'media-in', key: 'clips/a.mp4' } } });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { source: unknown }).source).toEqual({ s3: { bucket: 'media-in', key: 'clips/a.mp4' } });
    expect(api.validatedUrls).toEqual([]);
  });

  it.each([
    'file:///etc/passwd',
    '/etc/passwd',
    'concat:/etc/passwd|/etc/hosts',
    'subfile,,start,0,end,64,,:/etc/passwd',
    'data:text/plain;base64,aGk=',
    'pipe:0',
    '-i /etc/passwd',
  ])('refuses source %j with 400 SOURCE_REJECTED before any job is created (S1)', async (url) => {
    const res = await submit(api, { source: { url } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 400, code: 'SOURCE_REJECTED' });
    expect(api.jobs.createCalls).toBe(0);
    expect(api.validatedUrls).toEqual([]);
  });

  it('refuses what the injected input rules reject, without creating a job', async () => {
    await api.close();
    api = await startTestApi({
      validateSourceUrl: async () => {
        throw new SourceRejectedError('host media.internal resolves to a private address');
      },
    });
    const res = await submit(api, { source: { url: 'https://media.internal/a.mp4' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'SOURCE_REJECTED', detail: 'host media.internal resolves to a private address' });
    expect(api.jobs.createCalls).toBe(0);
  });

  it.each<[string, unknown]>([
    ['an unknown field', { source: { url: 'https://media.example.com/a.mp4' }, priority: 'high' }],
    ['an unknown detector', { source: { url: 'https://media.example.com/a.mp4' }, detectors: ['vibes'] }],
    ['a source with no kind', { source: {} }],
    ['a JSON string', 'https://media.example.com/a.mp4'],
  ])('refuses %s with 400 USAGE', async (_name, body) => {
    const res = await submit(api, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'USAGE' });
    expect(api.jobs.createCalls).toBe(0);
  });

  it('refuses malformed JSON with 400 USAGE and no stack trace', async () => {
    const res = await fetch(`${api.baseUrl}/v1/analyses`, { method: 'POST', headers: { ...json, ...(await api.auth()) }, body: '{"source": ' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'USAGE', detail: 'the request body is not valid JSON' });
    expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('returns the same job when an Idempotency-Key is replayed, scoped to the caller', async () => {
    const body = { source: { url: 'https://media.example.com/a.mp4' } };
    const first = (await (await submit(api, body, { 'idempotency-key': 'k-1' })).json()) as { id: string };
    const replay = await submit(api, body, { 'idempotency-key': 'k-1' });
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as { id: string }).id).toBe(first.id);

    const conflicting = await submit(api, { source: { url: 'https://media.example.com/b.mp4' } }, { 'idempotency-key': 'k-1' });
    expect(conflicting.status).toBe(409);
    expect(await conflicting.json()).toMatchObject({ code: 'CONFLICT' });

    const otherCaller = await fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { ...json, ...(await api.auth('bob')), 'idempotency-key': 'k-1' },
      body: JSON.stringify(body),
    });
    expect(otherCaller.status).toBe(202);
    expect(((await otherCaller.json()) as { id: string }).id).not.toBe(first.id);
  });

  it('refuses an Idempotency-Key with control characters or spaces', async () => {
    const res = await submit(api, { source: { url: 'https://media.example.com/a.mp4' } }, { 'idempotency-key': 'a b' });
    expect(res.status).toBe(400);
    expect(api.jobs.createCalls).toBe(0);
  });

  it('answers 429 with Retry-After when the queue is full, and creates nothing (L1)', async () => {
    await api.close();
    api = await startTestApi({ limits: { ...testLimits, maxQueued: 2 } });
    for (let i = 0; i < 2; i += 1) expect((await submit(api, { source: { url: `https://media.example.com/${i}.mp4` } })).status).toBe(202);
    const res = await submit(api, { source: { url: 'https://media.example.com/2.mp4' } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(api.jobs.createCalls).toBe(2);

    // Running jobs leave the queue: a slot frees up.
    const [first] = await collect(api.jobs.list());
    api.jobs.setStatus(first.id, 'running');
    expect((await submit(api, { source: { url: 'https://media.example.com/3.mp4' } })).status).toBe(202);
  });
});

describe('POST /v1/analyses (upload)', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(() => api.close());

  it('streams the body into the upload area and shows the upload by name and size', async () => {
    const bytes = Buffer.alloc(40_000, 7);
    const res = await fetch(`${api.baseUrl}/v1/analyses?detectors=black,freeze`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4', ...(await api.auth()) },
      body: bytes,
    });
    expect(res.status).toBe(202);
    const view = (await res.json()) as { id: string; source: { upload: { name: string; bytes: number; contentType: string } }; detectors: string[] };
    expect(view.source.upload).toMatchObject({ bytes: 40_000, contentType: 'video/mp4' });
    expect(JSON.stringify(view)).not.toContain(api.uploadsDir);
    expect(view.detectors).toEqual(['black', 'freeze']);
    const job = await api.jobs.get(view.id);
    const path = job?.source.upload?.path ?? '';
    expect(path.startsWith(api.uploadsDir)).toBe(true);
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('refuses a chunked upload over the cap with 413 and removes the partial file', async () => {
    const chunk = Buffer.alloc(16 * 1024, 1);
    const { status, body } = await rawUpload(api, 'application/octet-stream', (req) => {
      // 6 × 16 KiB > 64 KiB cap; no Content-Length, so the cap is enforced while streaming.
      for (let i = 0; i < 6; i += 1) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await waitFor(async () => (await readdir(api.uploadsDir)).length === 0);
    expect(await readdir(api.uploadsDir)).toEqual([]);
    expect(api.jobs.createCalls).toBe(0);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const { status } = await rawUpload(
      api,
      'audio/wav',
      (req) => {
        req.write(Buffer.alloc(1024));
        // Never finishes the body: the answer must not wait for it.
      },
      { 'content-length': String(10 * 1024 * 1024) },
    );
    expect(status).toBe(413);
    expect(await readdir(api.uploadsDir)).toEqual([]);
  });

  it('refuses an empty upload', async () => {
    const res = await fetch(`${api.baseUrl}/v1/analyses`, { method: 'POST', headers: { 'content-type': 'video/mp4', ...(await api.auth()) }, body: '' });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'INPUT_EMPTY' });
    expect(await readdir(api.uploadsDir)).toEqual([]);
  });

  it('answers 429 for a full queue without reading or storing the upload', async () => {
    await api.close();
    api = await startTestApi({ limits: { ...testLimits, maxQueued: 0 } });
    const { status, headers } = await rawUpload(api, 'video/mp4', (req) => {
      req.write(Buffer.alloc(1024));
    }, { 'content-length': String(60_000) });
    expect(status).toBe(429);
    expect(headers['retry-after']).toBeDefined();
    expect(await readdir(api.uploadsDir)).toEqual([]);
  });
});

describe('reading, listing and cancelling analyses', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  async function create(name: string): Promise<string> {
    return ((await (await submit(api, { source: { url: `https://media.example.com/${name}.mp4` } })).json()) as { id: string }).id;
  }

  async function get(path: string): Promise<Response> {
    return fetch(`${api.baseUrl}${path}`, { headers: await api.auth() });
  }

  it('shows a job by id and 404s an unknown or malformed id', async () => {
    const id = await create('view');
    const res = await get(`/v1/analyses/${id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, status: 'queued', links: { self: `/v1/analyses/${id}`, report: `/v1/analyses/${id}/report` } });
    expect((await get('/v1/analyses/an-nope')).status).toBe(404);
    expect((await get('/v1/analyses/..%2F..%2Fetc')).status).toBe(404);
  });

  it('lists jobs in pages with a cursor and filters by status', async () => {
    const ids = [await create('l1'), await create('l2'), await create('l3')];
    api.jobs.setStatus(ids[1], 'running');
    const all: string[] = [];
    let after: string | null = null;
    do {
      const page = (await (await get(`/v1/analyses?limit=2${after ? `&after=${after}` : ''}`)).json()) as { items: { id: string }[]; next: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items.map((i) => i.id));
      after = page.next;
    } while (after !== null);
    expect(all).toEqual(expect.arrayContaining(ids));
    expect(new Set(all).size).toBe(all.length);
    const running = (await (await get('/v1/analyses?status=running')).json()) as { items: { id: string }[] };
    expect(running.items.map((i) => i.id)).toEqual([ids[1]]);
    expect((await get('/v1/analyses?status=bogus')).status).toBe(400);
    expect((await get('/v1/analyses?limit=0')).status).toBe(400);
    expect((await get('/v1/analyses?colour=red')).status).toBe(400);
  });

  it('cancels a queued job at once and flags a running one', async () => {
    const queued = await create('c1');
    const running = await create('c2');
    api.jobs.setStatus(running, 'running');
    const del = async (id: string): Promise<Response> => fetch(`${api.baseUrl}/v1/analyses/${id}`, { method: 'DELETE', headers: await api.auth() });
    const a = await del(queued);
    expect(a.status).toBe(202);
    expect(await a.json()).toMatchObject({ id: queued, status: 'cancelled' });
    const b = await del(running);
    expect(b.status).toBe(202);
    expect(await b.json()).toMatchObject({ id: running, status: 'running', cancelRequested: true });
    expect((await api.jobs.get(running))?.cancelRequested).toBe(true);
    expect((await del('an-missing')).status).toBe(404);
  });

  it('serves the report: 409 with the status before success, 404 until stored, then 200', async () => {
    const id = await create('r1');
    const early = await get(`/v1/analyses/${id}/report`);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ code: 'CONFLICT', jobStatus: 'queued' });
    api.jobs.setStatus(id, 'succeeded');
    const missing = await get(`/v1/analyses/${id}/report`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const result = sampleResult(id);
    await api.results.put(result);
    const ok = await get(`/v1/analyses/${id}/report`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(result);
    expect((await get('/v1/analyses/an-missing/report')).status).toBe(404);
  });

  it("serves a running live analysis's checkpoint, and never a report whose status is not the job's", async () => {
    const id = await create('r2');
    api.jobs.setStatus(id, 'running');
    expect((await get(`/v1/analyses/${id}/report`)).status).toBe(409);
    const checkpoint = { ...sampleResult(id), status: 'running' as const, checkpoint: { savedAt: new Date().toISOString(), mediaSec: 12, open: [] } };
    await api.results.put(checkpoint);
    const running = await get(`/v1/analyses/${id}/report`);
    expect(running.status).toBe(200);
    expect(await running.json()).toEqual(checkpoint);
    // The job failed, but what is stored is still the checkpoint: not served as if it were running.
    api.jobs.setStatus(id, 'failed');
    const stale = await get(`/v1/analyses/${id}/report`);
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ jobStatus: 'failed' });
  });
});

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

async function waitFor(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** An upload with Node's client, which reports a response that arrives before the body is sent. */
async function rawUpload(
  api: TestApi,
  contentType: string,
  send: (req: ReturnType<typeof httpRequest>) => void,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const auth = await api.auth();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: api.port, method: 'POST', path: '/v1/analyses', headers: { 'content-type': contentType, ...auth, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    // The server may close the connection while we are still writing; the response is what counts.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    send(req);
  });
}

