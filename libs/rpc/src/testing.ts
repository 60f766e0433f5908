/**
 * Test helpers for code that uses RPC bindings (entry point `./testing`, never imported by
 * production code): serve a component on loopback, and run one suite against every binding, as
 * Service Weaver's `weavertest.AllRunners()` does.
 */
import { createRequestSigner, createRequestVerifier } from '@framewatch/auth';
import express from 'express';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type RpcClient, type RpcClientOptions, createRpcClient } from './client';
import type { ContractSpec } from './contract';
import { bindInProcess } from './in-process';
import { type RpcRouterOptions, createRpcRouter } from './server';

/** A component served on `127.0.0.1` by {@link serveRpc}. */
export interface ServedComponent {
  /** `http://127.0.0.1:<port>`, for a client's `baseUrl`. */
  baseUrl: string;
  /** Connections the server accepted so far (keep-alive checks). */
  connections(): number;
  /** Closes the server and every connection still open. */
  close(): Promise<void>;
}

/**
 * Serves `impl` through {@link createRpcRouter} on an ephemeral loopback port.
 *
 * @example
 * const served = await serveRpc(detectorContract, createDetector(deps));
 * const client = createRpcClient(detectorContract, { baseUrl: served.baseUrl });
 */
export async function serveRpc<T>(spec: ContractSpec<T>, impl: T, options: RpcRouterOptions = {}): Promise<ServedComponent> {
  const app = express();
  app.disable('x-powered-by');
  app.use(createRpcRouter(spec, impl, options));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let connections = 0;
  server.on('connection', () => connections++);
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Which binding a suite of {@link describeBindings} runs against. */
export type BindingKind = 'in-process' | 'http';

/** What a suite of {@link describeBindings} gets: the caller's view and the implementation behind it. */
export interface BindingUnderTest<T, I extends T = T> {
  kind: BindingKind;
  /** The component as a caller holds it. */
  client: T;
  /** The implementation behind the binding, to look at its state (its own type, extras included). */
  impl: I;
}

/**
 * Declares the suite `run` once per binding: in-process, and over HTTP with signed requests
 * (a random secret) on loopback. `makeImpl` is called once per binding; `get()` is valid inside
 * tests and hooks, not while declaring them.
 *
 * @example
 * describeBindings('detector', detectorContract, () => createDetector(deps), (get) => {
 *   it('scores a black frame as black', async () => {
 *     const scores = await get().client.detect(blackBatch);
 *     expect(scores.scores[0].scores['black']).toBeGreaterThan(0.9);
 *   });
 * });
 */
export function describeBindings<T, I extends T = T>(
  title: string,
  spec: ContractSpec<T>,
  makeImpl: () => I,
  run: (get: () => BindingUnderTest<T, I>) => void,
  clientOptions: Partial<Omit<RpcClientOptions, 'baseUrl' | 'signer'>> = {},
): void {
  describe(`${title} (in-process)`, () => {
    let current: BindingUnderTest<T, I> | undefined;
    beforeAll(() => {
      const impl = makeImpl();
      current = { kind: 'in-process', client: bindInProcess<T>(impl), impl };
    });
    run(() => required(current));
  });

  describe(`${title} (http)`, () => {
    let current: BindingUnderTest<T, I> | undefined;
    let served: ServedComponent | undefined;
    let client: RpcClient<T> | undefined;
    beforeAll(async () => {
      const impl = makeImpl();
      const secret = randomBytes(32).toString('base64url');
      served = await serveRpc<T>(spec, impl, { verifier: createRequestVerifier({ secret }) });
      client = createRpcClient(spec, { ...clientOptions, baseUrl: served.baseUrl, signer: createRequestSigner({ secret }) });
      current = { kind: 'http', client, impl };
    });
    afterAll(async () => {
      await client?.close();
      await served?.close();
    });
    run(() => required(current));
  });
}

function required<T, I extends T>(binding: BindingUnderTest<T, I> | undefined): BindingUnderTest<T, I> {
  if (binding === undefined) throw new Error('describeBindings: get() called outside a test or hook');
  return binding;
}
