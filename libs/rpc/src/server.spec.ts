import { SignatureHeader, createRequestSigner, createRequestVerifier } from '@framewatch/auth';
import { AuthError } from '@framewatch/errors';
import { encodeDetectionBatch, encodeFrameBatch } from '@framewatch/frame-codec';
import { request } from 'undici';
import { createRpcClient } from './client';
import { RpcContentType, RpcHeader } from './contract';
import { type EchoImpl, echoContract, grayBatch, makeEcho } from './spec-helpers';
import { type ServedComponent, serveRpc } from './testing';

const secret = 'rpc-test-secret-of-at-least-32-bytes';

async function post(baseUrl: string, path: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const res = await request(`${baseUrl}${path}`, { method: 'POST', body, headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: (): Record<string, unknown> => JSON.parse(text) as Record<string, unknown> };
}

describe('createRpcRouter with a request verifier', () => {
  let impl: EchoImpl;
  let served: ServedComponent;

  beforeEach(async () => {
    impl = makeEcho();
    served = await serveRpc(echoContract, impl, { verifier: createRequestVerifier({ secret }) });
  });
  afterEach(() => served.close());

  it('refuses an unsigned call with 401 before the implementation runs', async () => {
    const client = createRpcClient(echoContract, { baseUrl: served.baseUrl });
    const err = await client.bump(1).catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', detail: { reason: 'signature_missing' } });
    expect(impl.calls.bump).toBe(0);
  });

  it('refuses a call signed with another secret', async () => {
    const client = createRpcClient(echoContract, { baseUrl: served.baseUrl, signer: createRequestSigner({ secret: 'z'.repeat(32) }) });
    await expect(client.bump(1)).rejects.toMatchObject({ name: 'AuthError', detail: { reason: 'signature_mismatch' } });
    await client.close();
    expect(impl.calls.bump).toBe(0);
  });

  it('refuses a replayed call: the implementation ran once', async () => {
    const body = JSON.stringify([1]);
    const path = '/rpc/echo/bump';
    const headers = {
      'content-type': RpcContentType.json,
      ...createRequestSigner({ secret }).sign({ method: 'POST', path, body: new TextEncoder().encode(body) }),
    };
    const first = await post(served.baseUrl, path, body, headers);
    const replay = await post(served.baseUrl, path, body, headers);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(replay.headers[RpcHeader.error]).toBe('1');
    expect(replay.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', error: { name: 'AuthError', detail: { reason: 'nonce_replayed' } } });
    expect(impl.calls.bump).toBe(1);
  });

  it('refuses a signed body that was swapped on the way', async () => {
    const path = '/rpc/echo/bump';
    const headers = {
      'content-type': RpcContentType.json,
      ...createRequestSigner({ secret }).sign({ method: 'POST', path, body: new TextEncoder().encode('[1]') }),
    };
    const res = await post(served.baseUrl, path, '[1000]', headers);
    expect(res.status).toBe(401);
    expect(impl.calls.bump).toBe(0);
  });

  it('checks the signature before revealing whether a method exists', async () => {
    const res = await post(served.baseUrl, '/rpc/echo/nope', '[]', { 'content-type': RpcContentType.json });
    expect(res.status).toBe(401);
    expect(res.headers[SignatureHeader.signature]).toBeUndefined();
  });
});

describe('createRpcRouter refusals', () => {
  let impl: EchoImpl;
  let served: ServedComponent;

  beforeEach(async () => {
    impl = makeEcho();
    served = await serveRpc(echoContract, impl, { maxBodyBytes: 64 * 1024 });
  });
  afterEach(() => served.close());

  it('answers 404 for an unknown method, including inherited names', async () => {
    for (const method of ['nope', 'constructor', '__proto__', 'toString']) {
      const res = await post(served.baseUrl, `/rpc/echo/${method}`, '[]', { 'content-type': RpcContentType.json });
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('falls through for another contract, so several routers can share an app', async () => {
    const res = await post(served.baseUrl, '/rpc/other/describe', '');
    expect(res.status).toBe(404);
    expect(res.headers[RpcHeader.error]).toBeUndefined();
  });

  it('answers 415 for a wrong content type and never runs the method', async () => {
    const frames = encodeFrameBatch(grayBatch(1));
    const res = await post(served.baseUrl, '/rpc/echo/detect', frames, { 'content-type': 'application/octet-stream' });
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const jsonAsFrames = await post(served.baseUrl, '/rpc/echo/bump', '[1]', { 'content-type': RpcContentType.codec });
    expect(jsonAsFrames.status).toBe(415);
    expect(impl.calls.detect + impl.calls.bump).toBe(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const big = encodeFrameBatch(grayBatch(1, 320, 240));
    expect(big.byteLength).toBeGreaterThan(64 * 1024);
    const res = await post(served.baseUrl, '/rpc/echo/detect', big, { 'content-type': RpcContentType.codec });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(impl.calls.detect).toBe(0);
  });

  it('answers 400 CODEC_MALFORMED for bytes that are not a codec message, or the wrong kind', async () => {
    const garbage = await post(served.baseUrl, '/rpc/echo/detect', new Uint8Array(100).fill(7), { 'content-type': RpcContentType.codec });
    expect(garbage.status).toBe(400);
    expect(garbage.json()).toMatchObject({ code: 'CODEC_MALFORMED', error: { name: 'CodecError' } });
    const wrongKind = await post(served.baseUrl, '/rpc/echo/detect', encodeDetectionBatch({ streamId: 's', seq: 0, group: 'g', detectors: [], scores: [], final: false }), {
      'content-type': RpcContentType.codec,
    });
    expect(wrongKind.status).toBe(400);
    expect(impl.calls.detect).toBe(0);
  });

  it('answers 400 USAGE for a JSON body that is not the argument array', async () => {
    for (const body of ['{"x":1}', 'not json']) {
      const res = await post(served.baseUrl, '/rpc/echo/bump', body, { 'content-type': RpcContentType.json });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ code: 'USAGE' });
    }
    expect(impl.calls.bump).toBe(0);
  });

  it('answers an unexpected error with a generic 500: no message, stack or path leaves the process', async () => {
    const res = await post(served.baseUrl, '/rpc/echo/fail', '["bug"]', { 'content-type': RpcContentType.json });
    expect(res.status).toBe(500);
    expect(res.headers[RpcHeader.error]).toBe('1');
    expect(res.json()).toMatchObject({ code: 'INTERNAL', error: { name: 'FramewatchError', code: 'INTERNAL', message: 'internal error', detail: {} } });
    expect(res.text).not.toMatch(/boom|secret|\.ts|at /);
  });

  it('answers a binary result with the codec content type and a void result with 204', async () => {
    const frames = await post(served.baseUrl, '/rpc/echo/detect', encodeFrameBatch(grayBatch(1)), { 'content-type': RpcContentType.codec });
    expect(frames.status).toBe(200);
    expect(frames.headers['content-type']).toBe(RpcContentType.codec);
    const empty = await post(served.baseUrl, '/rpc/echo/sleep', '[1]', { 'content-type': RpcContentType.json });
    expect(empty.status).toBe(204);
  });
});
