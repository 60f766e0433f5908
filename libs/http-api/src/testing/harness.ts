/**
 * Starts the API on a real loopback server for this lib's tests, with the real JWT verifier, an
 * in-memory JobStore, a temp-dir ResultStore and a logger whose lines the test can read.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwtVerifier, issueToken } from '@framewatch/auth';
import { createLogger } from '@framewatch/observability';
import { createLocalResultStore } from '@framewatch/storage';
import type { ResultStore } from '@framewatch/storage';
import { createApiApp } from '../app';
import type { ApiApp, ApiDeps, ApiLimits } from '../app';
import { configureServer, httpServerOptions } from '../server';
import { createMemoryJobStore } from './memory-job-store';
import type { MemoryJobStore } from './memory-job-store';

/** Token settings shared by the harness and the token-matrix tests. */
export const testAuth = {
  secret: 'test-secret-that-is-at-least-32-bytes-long!',
  issuer: 'https://auth.framewatch.test',
  audience: 'framewatch-api',
} as const;

/** Limits generous enough that only the test aimed at a limit hits it. */
export const testLimits: ApiLimits = {
  maxJsonBytes: 16 * 1024,
  maxUploadBytes: 64 * 1024,
  maxQueued: 1000,
  rateLimit: { windowMs: 60_000, max: 10_000 },
  headersTimeoutMs: 2000,
  requestTimeoutMs: 10_000,
};

/** A running API for one test file. */
export interface TestApi {
  baseUrl: string;
  port: number;
  jobs: MemoryJobStore;
  results: ResultStore;
  uploadsDir: string;
  api: ApiApp;
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log output, to search for secrets. */
  rawLogs: () => string;
  /** URLs handed to the injected `validateSourceUrl`. */
  validatedUrls: string[];
  /** A valid token for `subject`. */
  token(subject?: string): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for `subject`. */
  auth(subject?: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1 and an ephemeral port. */
export async function startTestApi(overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), 'fw-http-api-'));
  const uploadsDir = join(dir, 'uploads');
  await mkdir(uploadsDir);
  const jobs = createMemoryJobStore();
  const results = createLocalResultStore({ dir: join(dir, 'results') });
  const raw: string[] = [];
  const logger = createLogger({ name: 'http-api-test', level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  const validatedUrls: string[] = [];
  const verifier = createJwtVerifier(testAuth);
  const limits = overrides.limits ?? testLimits;
  const api = createApiApp({
    jobs,
    results,
    authenticate: (token) => verifier.verify(token),
    validateSourceUrl: async (url) => {
      validatedUrls.push(url);
    },
    uploadsDir,
    limits,
    logger,
    eventsPollMs: 20,
    processMetrics: false,
    ...overrides,
  });
  const server = configureServer(createServer(httpServerOptions(limits), api.app), limits);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const token = (subject = 'alice'): Promise<string> =>
    issueToken({ ...testAuth, subject, scopes: ['analyses'], ttlSec: 300 });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    jobs: (overrides.jobs as MemoryJobStore | undefined) ?? jobs,
    results: overrides.results ?? results,
    uploadsDir: overrides.uploadsDir ?? uploadsDir,
    api,
    get logs() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    rawLogs: () => raw.join(''),
    validatedUrls,
    token,
    auth: async (subject?: string) => ({ authorization: `Bearer ${await token(subject)}` }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
