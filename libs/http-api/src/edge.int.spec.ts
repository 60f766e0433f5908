import { createServer } from 'node:http';
import { connect } from 'node:net';
import { openApiDocument } from './openapi';
import { configureServer } from './server';
import { startTestApi, testLimits } from './testing/harness';
import type { TestApi } from './testing/harness';

const securityHeaders = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];

describe('the HTTP edge', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('refuses a 10 MB JSON body with 413 (H1)', async () => {
    const body = JSON.stringify({ source: { url: 'https://media.example.com/a.mp4' }, pad: 'x'.repeat(10 * 1024 * 1024) });
    const res = await fetch(`${api.baseUrl}/v1/analyses`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await api.auth()) }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(api.jobs.createCalls).toBe(0);
  });

  it('refuses a streamed JSON body over the limit with 413 even without Content-Length (H1)', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(8 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 4) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await api.auth()) },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['image/png'], [undefined]])(
    'refuses content type %s with 415 (H1)',
    async (contentType) => {
      const res = await fetch(`${api.baseUrl}/v1/analyses`, {
        method: 'POST',
        headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(await api.auth()) },
        body: contentType === undefined ? undefined : 'source=https://media.example.com/a.mp4',
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    },
  );

  it('puts the security headers on every route, errors and 404 included (H2)', async () => {
    const auth = await api.auth();
    const id = ((await (await fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ source: { url: 'https://media.example.com/h2.mp4' } }),
    })).json()) as { id: string }).id;
    const cases: [string, RequestInit, number][] = [
      ['/healthz', {}, 200],
      ['/readyz', {}, 200],
      ['/metrics', { headers: auth }, 200],
      ['/openapi.json', { headers: auth }, 200],
      ['/v1/analyses', { headers: auth }, 200],
      [`/v1/analyses/${id}`, { headers: auth }, 200],
      [`/v1/analyses/${id}/report`, { headers: auth }, 409],
      ['/v1/analyses/an-missing', { headers: auth }, 404],
      ['/nowhere', { headers: auth }, 404],
      ['/v1/analyses', {}, 401],
      ['/v1/analyses', { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' }, 415],
      ['/v1/analyses', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{' }, 400],
      [`/v1/analyses/${id}`, { method: 'DELETE', headers: auth }, 202],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${api.baseUrl}${path}`, init);
      expect([path, res.status]).toEqual([path, status]);
      for (const header of securityHeaders) expect([path, header, res.headers.has(header)]).toEqual([path, header, true]);
      expect(res.headers.get('x-powered-by')).toBeNull();
      const text = await res.text();
      if (status >= 400) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(text).not.toMatch(/\n\s+at /);
      }
    }
  });

  it('serves /healthz without a token', async () => {
    const res = await fetch(`${api.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('exposes metrics only with a token, counting requests by route and status and submitted jobs', async () => {
    await fetch(`${api.baseUrl}/v1/analyses/an-counted`, { headers: await api.auth() });
    await fetch(`${api.baseUrl}/v1/analyses/an-counted`, { headers: await api.auth() });
    expect((await fetch(`${api.baseUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${api.baseUrl}/metrics`, { headers: await api.auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const count = /framewatch_http_requests_total\{method="GET",route="\/v1\/analyses\/\{id\}",status="404"\} (\d+)/.exec(text);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/framewatch_http_requests_total\{method="GET",route="\/metrics",status="401"\} 1/);
    expect(text).toMatch(/framewatch_jobs_submitted_total\{source="url"\} [1-9]/);
    expect(text).toContain('framewatch_http_request_duration_seconds_bucket');
  });

  it('describes every route it serves in /openapi.json', async () => {
    const res = await fetch(`${api.baseUrl}/openapi.json`, { headers: await api.auth() });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as typeof openApiDocument;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/metrics', '/openapi.json', '/readyz', '/v1/analyses', '/v1/analyses/{id}', '/v1/analyses/{id}/events', '/v1/analyses/{id}/report'].sort(),
    );
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((m) => m !== 'parameters')) {
        const res = await fetch(`${api.baseUrl}${path.replace('{id}', 'an-probe')}`, {
          method: method.toUpperCase(),
          headers: { ...(await api.auth()), 'content-type': 'application/json' },
          body: method === 'post' ? '{}' : undefined,
        });
        // Served: the route exists (a 404 would be the catch-all's "no route").
        const body = res.status === 404 ? ((await res.json()) as { detail: string }).detail : '';
        expect([path, method, body.startsWith('no route')]).toEqual([path, method, false]);
        if (!res.bodyUsed) await res.body?.cancel();
      }
    }
  });

  it('logs each request with method, route, status and duration', async () => {
    await fetch(`${api.baseUrl}/healthz`);
    const line = api.logs.find((l) => l.msg === 'request' && l.route === '/healthz');
    expect(line).toMatchObject({ method: 'GET', route: '/healthz', status: 200 });
    expect(typeof line?.ms).toBe('number');
  });
});

describe('/readyz', () => {
  it('answers 503 problem when a dependency is not reachable, 200 when it is', async () => {
    let up = false;
    const api = await startTestApi({ ready: async () => { if (!up) throw new Error('db down at /var/secret/path'); } });
    try {
      const down = await fetch(`${api.baseUrl}/readyz`);
      expect(down.status).toBe(503);
      const text = await down.text();
      expect(JSON.parse(text)).toMatchObject({ code: 'UNAVAILABLE' });
      expect(text).not.toContain('/var/secret/path');
      up = true;
      expect((await fetch(`${api.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('rate limiting (H3)', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi({ limits: { ...testLimits, rateLimit: { windowMs: 60_000, max: 3 } } });
  });
  afterEach(() => api.close());

  it('answers the N+1th request of a principal inside the window with 429 and Retry-After', async () => {
    const alice = await api.auth('alice');
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${api.baseUrl}/v1/analyses`, { headers: alice })).status).toBe(200);
    const limited = await fetch(`${api.baseUrl}/v1/analyses`, { headers: alice });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // Per principal: another caller from the same address is not affected.
    expect((await fetch(`${api.baseUrl}/v1/analyses`, { headers: await api.auth('bob') })).status).toBe(200);
    const metrics = await (await fetch(`${api.baseUrl}/metrics`, { headers: await api.auth('metrics') })).text();
    expect(metrics).toMatch(/framewatch_http_rejected_total\{reason="rate_limit"\} 1/);
  });

  it('limits failed authentications per client address', async () => {
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${api.baseUrl}/v1/analyses`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const limited = await fetch(`${api.baseUrl}/v1/analyses`, { headers: { authorization: 'Bearer nope' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    // Health checks are never limited.
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('server timeouts (H4)', () => {
  it('closes a connection whose headers trickle in slower than the header timeout', async () => {
    const limits = { ...testLimits, headersTimeoutMs: 300, requestTimeoutMs: 1000 };
    const api = await startTestApi({ limits });
    try {
      const started = Date.now();
      const socket = connect(api.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 50);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
      clearInterval(timer);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2000);
      expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await api.close();
    }
  });

  it('refuses inconsistent timeouts at start-up', () => {
    expect(() => configureServer(createServer(), { headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).toThrow(RangeError);
  });
});
