import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestFramer, createPrng, startFaultProxy } from './fault-proxy';
import type { FaultProxy } from './fault-proxy';

/** A loopback HTTP server that records every request it fully received. */
function startEcho(): Promise<{ server: http.Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      hits.push(`${req.method} ${req.url} ${Buffer.concat(parts).toString()}`);
      res.setHeader('content-type', 'text/plain');
      res.end(`ok ${req.url}`);
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, hits })),
  );
}

interface Reply {
  status: number;
  body: string;
  ms: number;
}

function request(
  proxy: FaultProxy,
  agent: http.Agent,
  path: string,
  opts: { body?: string; chunked?: boolean; timeoutMs?: number } = {},
): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined && !opts.chunked) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = http.request(
      { host: '127.0.0.1', port: proxy.port, path, method: opts.body === undefined ? 'GET' : 'POST', agent, headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), ms: Date.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('client timeout')));
    if (opts.body !== undefined && opts.chunked) {
      // Two writes force chunked transfer coding on the wire.
      const half = Math.floor(opts.body.length / 2);
      req.write(opts.body.slice(0, half));
      req.end(opts.body.slice(half));
    } else req.end(opts.body);
  });
}

describe('startFaultProxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: FaultProxy;
  let agent: http.Agent;

  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(async () => {
    await new Promise((r) => echo.server.close(r));
  });
  beforeEach(async () => {
    echo.hits.length = 0;
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: echo.port }, seed: 7, log: () => undefined });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(async () => {
    agent.destroy();
    await proxy.close();
  });

  it('forwards requests on one keep-alive connection and counts each request', async () => {
    for (const p of ['/a', '/b', '/c']) expect((await request(proxy, agent, p)).body).toBe(`ok ${p}`);
    await request(proxy, agent, '/d', { body: 'x'.repeat(10_000), chunked: true });
    expect(proxy.stats()).toMatchObject({ connections: 1, requests: 4, forwarded: 4, resets: 0, drops: 0 });
    expect(echo.hits[3]).toBe(`POST /d ${'x'.repeat(10_000)}`);
  });

  it('resetNext resets a pooled connection before the target sees the request', async () => {
    await request(proxy, agent, '/warm');
    proxy.resetNext(1);
    await expect(request(proxy, agent, '/lost', { body: 'payload' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await request(proxy, agent, '/after')).body).toBe('ok /after');
    expect(echo.hits.map((h) => h.split(' ')[1])).toEqual(['/warm', '/after']);
    expect(proxy.stats()).toMatchObject({ requests: 3, forwarded: 2, resets: 1 });
  });

  it('dropNextResponses lets the target process the request but resets the client (lost ack)', async () => {
    await request(proxy, agent, '/warm');
    proxy.dropNextResponses(1);
    await expect(request(proxy, agent, '/write', { body: 'v=1', chunked: true })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(echo.hits).toContain('POST /write v=1');
    expect((await request(proxy, agent, '/after')).body).toBe('ok /after');
    expect(proxy.stats()).toMatchObject({ requests: 3, forwarded: 3, drops: 1 });
  });

  it('respondNext answers matching requests itself, swallowing their bodies, and keeps the connection', async () => {
    await request(proxy, agent, '/warm');
    proxy.respondNext(2, { status: 400, headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: '{"__type":"ThrottlingException"}' }, { match: /\/write/ });
    const throttled = await request(proxy, agent, '/write', { body: 'v=1', chunked: true });
    expect(throttled).toMatchObject({ status: 400, body: '{"__type":"ThrottlingException"}' });
    expect((await request(proxy, agent, '/read')).body).toBe('ok /read');
    expect((await request(proxy, agent, '/write', { body: 'x'.repeat(5000) })).status).toBe(400);
    expect((await request(proxy, agent, '/write', { body: 'v=3' })).body).toBe('ok /write');
    expect(echo.hits.map((h) => h.split(' ')[1])).toEqual(['/warm', '/read', '/write']);
    expect(proxy.stats()).toMatchObject({ connections: 1, requests: 5, forwarded: 3, responded: 2 });
    expect(proxy.requests().map((r) => r.head.split(' ')[1])).toEqual(['/warm', '/write', '/read', '/write', '/write']);
  });

  it('blackHole accepts and never answers, on new and pooled connections, until switched off', async () => {
    await request(proxy, agent, '/warm');
    proxy.blackHole(true);
    await expect(request(proxy, agent, '/pooled', { timeoutMs: 300 })).rejects.toThrow('client timeout');
    const fresh = new http.Agent({ keepAlive: false });
    await expect(request(proxy, fresh, '/fresh', { timeoutMs: 300 })).rejects.toThrow('client timeout');
    fresh.destroy();
    expect(echo.hits.map((h) => h.split(' ')[1])).toEqual(['/warm']);
    expect(proxy.stats().blackHoled).toBeGreaterThanOrEqual(2);
    proxy.blackHole(false);
    expect((await request(proxy, agent, '/back')).body).toBe('ok /back');
  });

  it('latency delays each request by at least the configured time', async () => {
    await request(proxy, agent, '/warm');
    proxy.latency(250);
    const slow = await request(proxy, agent, '/slow');
    expect(slow.ms).toBeGreaterThanOrEqual(240);
    proxy.reset();
    const fast = await request(proxy, agent, '/fast');
    expect(fast.ms).toBeLessThan(200);
  });

  it('applies a fault only to requests whose head matches', async () => {
    await request(proxy, agent, '/warm');
    proxy.dropNextResponses(1, { match: /^POST \/write/ });
    expect((await request(proxy, agent, '/read')).body).toBe('ok /read');
    await expect(request(proxy, agent, '/write', { body: 'x' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    proxy.resetNext(1, { match: (head) => head.includes('/other') });
    expect((await request(proxy, agent, '/fine')).body).toBe('ok /fine');
    await expect(request(proxy, agent, '/other')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(echo.hits.map((h) => h.split(' ')[1])).toEqual(['/warm', '/read', '/write', '/fine']);
  });

  it('reset clears pending faults', async () => {
    proxy.resetNext(5);
    proxy.dropNextResponses(5);
    proxy.reset({ clearStats: true });
    expect((await request(proxy, agent, '/ok')).body).toBe('ok /ok');
    expect(proxy.stats()).toMatchObject({ requests: 1, resets: 0, drops: 0 });
  });

  it('chaos replays the same fault schedule for the same seed and prints the seed', async () => {
    const outcomes = async (): Promise<string[]> => {
      const lines: string[] = [];
      const p = await startFaultProxy({ target: { host: '127.0.0.1', port: echo.port }, seed: 1234, log: (l) => lines.push(l) });
      p.chaos({ resetProbability: 0.3, dropProbability: 0.3 });
      const seen: string[] = [];
      const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 12; i++) {
        seen.push(await request(p, a, `/${i}`).then(() => 'ok', (e: NodeJS.ErrnoException) => e.code ?? 'error'));
      }
      a.destroy();
      await p.close();
      expect(lines.join('\n')).toContain('seed=1234');
      return seen;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('ECONNRESET');
  });
});

describe('RequestFramer', () => {
  it('finds boundaries of content-length and chunked requests split at every byte', () => {
    const wire = Buffer.from(
      'POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc' +
        'POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n' +
        'GET /c HTTP/1.1\r\n\r\n',
    );
    const framer = new RequestFramer();
    const events: string[] = [];
    for (let i = 0; i < wire.length; i++) {
      for (const ev of framer.feed(wire.subarray(i, i + 1))) if (ev.type !== 'head') events.push(`${ev.type}@${i + ev.offset}`);
    }
    const secondStart = wire.indexOf('POST /b');
    const thirdStart = wire.indexOf('GET /c');
    expect(events).toEqual([
      'start@0',
      `end@${secondStart}`,
      `start@${secondStart}`,
      `end@${thirdStart}`,
      `start@${thirdStart}`,
      `end@${wire.length}`,
    ]);
  });

  it('createPrng is deterministic per seed', () => {
    const a = createPrng(99);
    const b = createPrng(99);
    const c = createPrng(100);
    const seqA = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(seqA);
    expect([c(), c(), c()]).not.toEqual(seqA);
  });
});
