import { CodecError, RemoteCallError, UsageError } from '@framewatch/errors';
import { encodeFrameBatch } from '@framewatch/frame-codec';
import { createRpcClient } from './client';
import { blackHole, echoContract, faultProxy, grayBatch, makeEcho, plainStatusServer, type EchoImpl } from './spec-helpers';
import { type ServedComponent, serveRpc } from './testing';

const fastRetry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('createRpcClient transport', () => {
  let impl: EchoImpl;
  let served: ServedComponent;
  const cleanup: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    impl = makeEcho();
    served = await serveRpc(echoContract, impl);
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await served.close();
  });

  function client(baseUrl: string, options: Partial<Parameters<typeof createRpcClient>[1]> = {}) {
    const c = createRpcClient(echoContract, { baseUrl, retry: fastRetry, ...options });
    cleanup.push(() => c.close());
    return c;
  }

  it('retries an idempotent call after connection resets and counts the attempts', async () => {
    const proxy = await faultProxy(Number(new URL(served.baseUrl).port), (n) => (n < 2 ? 'reset-on-request' : 'pass'));
    cleanup.push(() => proxy.close());
    const c = client(proxy.url);
    await expect(c.describe()).resolves.toEqual({ n: 0 });
    expect(c.stats()).toMatchObject({ calls: 1, attempts: 3, retries: 2 });
    expect(impl.calls.describe).toBe(1);
  });

  it('retries an idempotent call whose answer was lost, and it succeeds', async () => {
    const proxy = await faultProxy(Number(new URL(served.baseUrl).port), (n) => (n === 0 ? 'drop-response' : 'pass'));
    cleanup.push(() => proxy.close());
    const c = client(proxy.url);
    await expect(c.describe()).resolves.toEqual({ n: 0 });
    expect(c.stats()).toMatchObject({ attempts: 2, retries: 1 });
    expect(impl.calls.describe).toBe(2);
  });

  it('does not retry a non-idempotent call whose answer was lost: RemoteCallError, ran exactly once', async () => {
    const proxy = await faultProxy(Number(new URL(served.baseUrl).port), () => 'drop-response');
    cleanup.push(() => proxy.close());
    const c = client(proxy.url);
    const err = await c.bump(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err).toMatchObject({ code: 'REMOTE_CALL_FAILED', detail: { reason: 'transport', attempts: 1 } });
    expect((err as Error).message).toMatch(/may or may not have run/);
    expect(c.stats()).toMatchObject({ attempts: 1, retries: 0 });
    expect(impl.calls.bump).toBe(1);
  });

  it('does not retry a non-idempotent call after a reset either', async () => {
    const proxy = await faultProxy(Number(new URL(served.baseUrl).port), (n) => (n === 0 ? 'reset-on-request' : 'pass'));
    cleanup.push(() => proxy.close());
    const c = client(proxy.url);
    await expect(c.bump(1)).rejects.toBeInstanceOf(RemoteCallError);
    expect(proxy.accepted()).toBe(1);
    expect(impl.calls.bump).toBe(0);
  });

  it('gives up after the configured attempts when the server is down, with the errno', async () => {
    const down = await blackHole();
    await down.close(); // a port nobody listens on any more: connection refused
    const c = client(down.url);
    const err = await c.describe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err).toMatchObject({ detail: { reason: 'transport', errno: 'ECONNREFUSED', attempts: 3 } });
    expect(c.stats()).toMatchObject({ calls: 1, attempts: 3, retries: 2 });
  });

  it('fails a call to a black hole with RemoteCallError within its deadline', async () => {
    const hole = await blackHole();
    cleanup.push(() => hole.close());
    const c = client(hole.url, { timeoutMs: 200, retry: { attempts: 5, baseDelayMs: 5 } });
    const started = Date.now();
    const err = await c.describe().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err).toMatchObject({ detail: { reason: 'deadline', timeoutMs: 200 } });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(200 + 150);
  });

  it("applies a method's own deadline over the client's", async () => {
    const c = client(served.baseUrl, { timeoutMs: 10_000 });
    const started = Date.now();
    await expect(c.sleep(500)).rejects.toMatchObject({ name: 'RemoteCallError', detail: { timeoutMs: 250 } });
    expect(Date.now() - started).toBeLessThan(250 + 150);
  });

  it('retries a 503 without a Framewatch body, but not an application UNAVAILABLE', async () => {
    const gateway = await plainStatusServer(503);
    cleanup.push(() => gateway.close());
    const viaGateway = client(gateway.url);
    await expect(viaGateway.describe()).rejects.toMatchObject({ name: 'RemoteCallError', detail: { status: 503, reason: 'status' } });
    expect(gateway.requests()).toBe(3);

    const direct = client(served.baseUrl);
    await expect(direct.fail('unavailable')).rejects.toMatchObject({ name: 'FramewatchError', code: 'UNAVAILABLE' });
    expect(direct.stats().attempts).toBe(1);
    expect(impl.calls.fail).toBe(1);
  });

  it('does not retry a non-Framewatch 404 (a misrouted call)', async () => {
    const other = await plainStatusServer(404);
    cleanup.push(() => other.close());
    const c = client(other.url);
    await expect(c.describe()).rejects.toMatchObject({ name: 'RemoteCallError', detail: { status: 404 } });
    expect(other.requests()).toBe(1);
  });

  it('reuses a few keep-alive connections for many calls', async () => {
    const c = client(served.baseUrl, { connections: 2 });
    for (let i = 0; i < 20; i++) await c.bump(1);
    for (let round = 0; round < 4; round++) await Promise.all(Array.from({ length: 10 }, () => c.describe()));
    expect(impl.calls.bump + impl.calls.describe).toBe(60);
    expect(served.connections()).toBeGreaterThanOrEqual(1);
    expect(served.connections()).toBeLessThanOrEqual(2);
  });

  it('counts bytes on the wire, and frames travel smaller than JSON/base64 would', async () => {
    const c = client(served.baseUrl);
    const batch = grayBatch(4, 160, 120);
    await c.detect(batch);
    const { bytesSent, bytesReceived } = c.stats();
    const codecBytes = encodeFrameBatch(batch).byteLength;
    const jsonBase64 = JSON.stringify([
      {
        ...batch,
        video: batch.video.map((f) => ({ ...f, planes: f.planes.map((p) => Buffer.from(p).toString('base64')) })),
        audio: batch.audio.map((a) => ({ ...a, samples: Buffer.from(a.samples.buffer).toString('base64') })),
      },
    ]).length;
    expect(bytesSent).toBeGreaterThan(codecBytes); // body plus request line and headers
    expect(bytesSent).toBeLessThan(codecBytes + 1024);
    expect(bytesSent).toBeLessThan(jsonBase64 * 0.8);
    expect(bytesReceived).toBeGreaterThan(0);
  });

  it('throws an encoding error before any attempt, not as a RemoteCallError', async () => {
    const c = client(served.baseUrl);
    const bad = grayBatch(1);
    bad.video[0].planes[0] = new Uint8Array(3);
    await expect(c.detect(bad)).rejects.toBeInstanceOf(CodecError);
    await expect((c.detect as (...a: unknown[]) => Promise<unknown>)(bad, bad)).rejects.toBeInstanceOf(UsageError);
    expect(c.stats()).toMatchObject({ attempts: 0 });
    expect(impl.calls.detect).toBe(0);
  });

  it('keeps a path prefix of the base URL', async () => {
    const c = client(`${served.baseUrl}/prefix/`);
    await expect(c.describe()).rejects.toMatchObject({ name: 'RemoteCallError', detail: { status: 404 } });
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => createRpcClient(echoContract, { baseUrl: 'file:///etc/passwd' })).toThrow(UsageError);
    expect(() => createRpcClient(echoContract, { baseUrl: 'not a url' })).toThrow(UsageError);
  });
});
