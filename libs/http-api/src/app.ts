/**
 * The Framewatch HTTP API (DESIGN.md "Interfaces" → HTTP API) as an Express app built from
 * injected ports. The app's `main.ts` creates the stores, the verifier and the logger, calls
 * {@link createApiApp} and listens; nothing here reads configuration or creates clients.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { bearerToken } from '@framewatch/auth';
import type { Principal } from '@framewatch/auth';
import { AuthError, FramewatchError, UsageError } from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';
import { AnalysisStatus } from '@framewatch/pipeline';
import { displaySource } from '@framewatch/source-rules';
import { RESULT_ID_PATTERN } from '@framewatch/storage';
import type { JobRecord, JobSource, JobStore, ResultStore } from '@framewatch/storage';
import { normalizeError, problemHandler, sendProblem } from './errors';
import { createApiMetrics, routeLabel } from './metrics';
import type { ApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { streamJobEvents } from './sse';
import { parseSubmission } from './submission';
import type { Submission } from './submission';
import { checkDeclaredLength, isUploadContentType, storeUpload } from './upload';
import type { ServerLimits } from './server';

/** Request limits of the API (RELIABILITY H1, H3, H4, L1). */
export interface ApiLimits extends ServerLimits {
  /** Largest JSON body; more is `413`. */
  maxJsonBytes: number;
  /** Largest upload; more is `413` and the partial file is removed. */
  maxUploadBytes: number;
  /** Queued jobs at which submissions get `429` (admission control). */
  maxQueued: number;
  /**
   * Requests per principal per window; more is `429` with `Retry-After`. Failed authentications
   * are limited per client IP with the same numbers.
   */
  rateLimit: { windowMs: number; max: number };
}

/** What {@link createApiApp} needs. */
export interface ApiDeps {
  jobs: JobStore;
  results: ResultStore;
  /** Verifies a bearer token (`createJwtVerifier(...).verify`); throws `AuthError`. */
  authenticate: (token: string) => Promise<Principal>;
  /**
   * Checks a URL source with the input rules before a job is created (the media lib's
   * `validateSource`, injected); throws FramewatchError `SOURCE_REJECTED`.
   */
  validateSourceUrl: (url: string) => Promise<void>;
  /** Directory uploads are streamed into; must exist. */
  uploadsDir: string;
  limits: ApiLimits;
  logger: Logger;
  /** For `/readyz`: resolves when dependencies are reachable. Default: a `countActive()` read. */
  ready?: () => Promise<void>;
  /** Milliseconds since the epoch, for request timings. `Date.now` by default. */
  clock?: () => number;
  /** How often the event stream polls the JobStore; 200 ms by default. */
  eventsPollMs?: number;
  /** Interval of SSE heartbeat comments; 15 s by default. */
  eventsHeartbeatMs?: number;
  /** Detector names a submission may list; any well-formed name when absent. */
  knownDetectors?: readonly string[];
  /** `Retry-After` seconds when the queue is full; 5 by default. */
  queueRetryAfterSec?: number;
  /** Express `trust proxy` (behind a load balancer, so that rate limits see the client IP). */
  trustProxy?: boolean | number | string;
  /** Node process metrics in `/metrics`; on by default. */
  processMetrics?: boolean;
}

/** The app and the metrics it records. */
export interface ApiApp {
  app: Express;
  metrics: ApiMetrics;
}

interface Locals {
  principal?: Principal;
}

const UPLOAD_QUERY_KEYS: ReadonlySet<string> = new Set(['detectors']);
const LIST_QUERY_KEYS: ReadonlySet<string> = new Set(['status', 'limit', 'after']);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const LAST_EVENT_ID = /^[0-9]{1,15}$/;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 200;
const READY_TIMEOUT_MS = 2000;
const statuses: ReadonlySet<string> = new Set(Object.values(AnalysisStatus));

/**
 * Builds the HTTP API. Every route but `/healthz` and `/readyz` requires `Authorization: Bearer`;
 * errors are `application/problem+json`; helmet headers are on every response.
 *
 * @example
 * const { app } = createApiApp({
 *   jobs, results, logger, uploadsDir,
 *   authenticate: createJwtVerifier({ secret, issuer, audience }).verify,
 *   validateSourceUrl: async (url) => { await validateSource(url, rules); },
 *   limits: { maxJsonBytes: 64 * 1024, maxUploadBytes: 2 ** 30, maxQueued: 100,
 *             rateLimit: { windowMs: 60_000, max: 600 }, headersTimeoutMs: 10_000, requestTimeoutMs: 600_000 },
 * });
 * const server = configureServer(http.createServer(httpServerOptions(limits), app), limits);
 * server.listen(8080);
 */
export function createApiApp(deps: ApiDeps): ApiApp {
  const { jobs, results, logger, limits } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = createApiMetrics({ processMetrics: deps.processMetrics });
  const app = express();

  app.disable('x-powered-by');
  app.set('etag', false);
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  // First, so that every response — errors, 401, 404, 429 — carries the security headers (H2).
  app.use(helmet());
  app.use(observe(logger, metrics, clock));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (req, res) => {
    try {
      await withTimeout((deps.ready ?? (async () => void (await jobs.countActive())))(), READY_TIMEOUT_MS);
      res.json({ status: 'ready' });
    } catch (err) {
      logger.warn({ err }, 'not ready');
      sendProblem(req, res, new FramewatchError('UNAVAILABLE', 'not ready'));
    }
  });

  // Failed authentications are counted per client IP (token guessing); everything an
  // authenticated caller does is limited per principal below.
  const failedAuthLimiter = rateLimit({
    windowMs: limits.rateLimit.windowMs,
    limit: limits.rateLimit.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: rateLimited(metrics),
  });
  app.use(authenticate(deps.authenticate, failedAuthLimiter, logger));
  app.use(
    rateLimit({
      windowMs: limits.rateLimit.windowMs,
      limit: limits.rateLimit.max,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: (_req, res) => `sub:${(res.locals as Locals).principal?.subject ?? ''}`,
      handler: rateLimited(metrics),
    }),
  );
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  const jsonParser = express.json({ limit: limits.maxJsonBytes, strict: true, inflate: false, type: () => true });

  app.post('/v1/analyses', async (req, res) => {
    const idempotencyKey = idempotencyKeyOf(req, (res.locals as Locals).principal);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const isJson = mediaType === 'application/json';
    const isUpload = !isJson && isUploadContentType(mediaType);
    if (!isJson && !isUpload) {
      throw new FramewatchError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send application/json, or the media itself as video/*, audio/* or application/octet-stream',
      );
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      throw new FramewatchError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies are not accepted');
    }
    checkDeclaredLength(req, isJson ? limits.maxJsonBytes : limits.maxUploadBytes);
    const uploadDetectors = isUpload ? detectorsFromQuery(req, deps.knownDetectors) : undefined;
    if (isJson) rejectQuery(req, new Set());

    // Admission control before a byte of the body is read (L1).
    const active = await jobs.countActive();
    if (active.queued >= limits.maxQueued) {
      metrics.rejected.inc({ reason: 'queue_full' });
      res.setHeader('Retry-After', String(deps.queueRetryAfterSec ?? 5));
      throw new FramewatchError('RATE_LIMITED', 'the analysis queue is full; retry later', { detail: { queued: active.queued } });
    }

    let source: JobSource;
    let detectors: string[] | undefined;
    if (isJson) {
      await runMiddleware(jsonParser, req, res);
      const submission: Submission = parseSubmission(req.body, deps.knownDetectors);
      if (submission.source.url !== undefined) await deps.validateSourceUrl(submission.source.url);
      source = submission.source;
      detectors = submission.detectors;
    } else {
      source = { upload: await storeUpload(req, deps.uploadsDir, limits.maxUploadBytes, mediaType) };
      detectors = uploadDetectors;
    }

    let job: JobRecord;
    try {
      job = await jobs.create({ source, ...(detectors ? { detectors } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
    } catch (err) {
      if (source.upload) await rm(source.upload.path, { force: true });
      throw err;
    }
    if (source.upload && job.source.upload?.path !== source.upload.path) {
      // A replayed idempotency key returned an earlier job: this copy is not referenced.
      await rm(source.upload.path, { force: true });
    }
    metrics.jobsSubmitted.inc({ source: source.url !== undefined ? 'url' : source.s3 ? 's3' : 'upload' });
    const view = jobView(job);
    res.status(202).location(view.links.self).json(view);
  });

  app.get('/v1/analyses', async (req, res) => {
    rejectQuery(req, LIST_QUERY_KEYS);
    const status = queryValue(req, 'status');
    if (status !== undefined && !statuses.has(status)) throw new UsageError(`status must be one of ${[...statuses].join(', ')}`);
    const limitText = queryValue(req, 'limit');
    const limit = limitText === undefined ? DEFAULT_LIST_LIMIT : Number(limitText);
    if (!/^[0-9]{1,3}$/.test(limitText ?? '1') || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new UsageError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    const after = queryValue(req, 'after');
    if (after !== undefined && !RESULT_ID_PATTERN.test(after)) throw new UsageError('after must be an analysis id');

    const items: AnalysisView[] = [];
    let next: string | null = null;
    for await (const job of jobs.list({ ...(status ? { status: status as AnalysisStatus } : {}), ...(after ? { after } : {}), limit: limit + 1 })) {
      if (items.length === limit) {
        next = items[items.length - 1].id;
        break;
      }
      items.push(jobView(job));
    }
    res.json({ items, next });
  });

  app.get('/v1/analyses/:id', async (req, res) => {
    res.json(jobView(await mustGetJob(jobs, idParam(req))));
  });

  app.delete('/v1/analyses/:id', async (req, res) => {
    const id = idParam(req);
    const job = await jobs.requestCancel(id);
    logger.info({ id, status: job.status, subject: (res.locals as Locals).principal?.subject }, 'cancel requested');
    res.status(202).json(jobView(job));
  });

  app.get('/v1/analyses/:id/report', async (req, res) => {
    const id = idParam(req);
    const job = await mustGetJob(jobs, id);
    // Besides a succeeded analysis: one cancelled while running has the report of what it saw
    // until then; a live one still running has its latest checkpoint (status `running`), and a
    // live one that failed keeps what it had seen (status `failed`). A stored report is only
    // served under the job's own status, never a stale one of an earlier attempt.
    const stored = job.status === 'queued' ? null : await results.get(id);
    const result = stored && (stored.status === job.status || job.status === 'succeeded') ? stored : null;
    if (result === null && job.status === 'succeeded') throw new FramewatchError('NOT_FOUND', `the report of analysis ${id} is not stored yet`);
    if (result === null) {
      sendProblem(req, res, new FramewatchError('CONFLICT', `analysis ${id} is ${job.status}; it has no report`), { jobStatus: job.status });
      return;
    }
    res.json(result);
  });

  app.get('/v1/analyses/:id/events', async (req, res) => {
    const id = idParam(req);
    await mustGetJob(jobs, id);
    const header = req.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    if (lastEventId !== undefined && lastEventId !== '' && !LAST_EVENT_ID.test(lastEventId)) {
      throw new UsageError('Last-Event-ID must be an event sequence number');
    }
    await streamJobEvents(req, res, {
      jobs,
      logger,
      id,
      afterSeq: lastEventId ? Number(lastEventId) : 0,
      pollMs: deps.eventsPollMs ?? 200,
      heartbeatMs: deps.eventsHeartbeatMs ?? 15_000,
    });
  });

  app.use((req, _res, next) => {
    next(new FramewatchError('NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 200)}`));
  });
  app.use(problemHandler(logger));

  return { app, metrics };
}

/** The public view of a job: no lease, payload hash or server-side upload path. */
export interface AnalysisView {
  id: string;
  status: AnalysisStatus;
  source:
    | { url: string }
    | { s3: { bucket: string; key: string } }
    | { upload: { name: string; bytes: number; contentType: string } };
  detectors: string[] | null;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  cancelRequested: boolean;
  error: { code: string; message: string } | null;
  links: { self: string; report: string; events: string };
}

/** Renders a {@link JobRecord} as the API shows it. */
export function jobView(job: JobRecord): AnalysisView {
  const self = `/v1/analyses/${encodeURIComponent(job.id)}`;
  const { url, s3, upload } = job.source;
  const source: AnalysisView['source'] = upload
    ? { upload: { name: basename(upload.path), bytes: upload.bytes, contentType: upload.contentType } }
    : s3
      ? { s3: { bucket: s3.bucket, key: s3.key } }
      : // Never the query or credentials: they may hold tokens, SRT stream ids or passphrases, and
        // other principals may list this job.
        { url: displaySource(url ?? '') };
  return {
    id: job.id,
    status: job.status,
    source,
    detectors: job.detectors,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    attempts: job.attempts,
    cancelRequested: job.cancelRequested,
    error: job.error,
    links: { self, report: `${self}/report`, events: `${self}/events` },
  };
}

function observe(logger: Logger, metrics: ApiMetrics, clock: () => number): RequestHandler {
  return (req, res, next) => {
    const started = clock();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      const ms = clock() - started;
      const labels = { method: req.method, route: routeLabel(req.path), status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, ms / 1000);
      // Never the headers: the Authorization header must not reach logs.
      logger.info(
        { requestId, ...labels, status: res.statusCode, ms, subject: (res.locals as Locals).principal?.subject, aborted: !res.writableFinished },
        'request',
      );
    });
    next();
  };
}

function authenticate(verify: ApiDeps['authenticate'], failedAuthLimiter: RequestHandler, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    try {
      const principal = await verify(bearerToken(req.headers.authorization));
      (res.locals as Locals).principal = principal;
    } catch (err) {
      // Fail closed: a verifier bug is still a 401, never a pass or a 500 with details.
      const authError =
        err instanceof FramewatchError && err.code === 'UNAUTHENTICATED'
          ? err
          : new AuthError('invalid credentials', { cause: err });
      if (!(err instanceof FramewatchError)) logger.warn({ err }, 'token verifier failed unexpectedly');
      res.setHeader('WWW-Authenticate', 'Bearer realm="framewatch"');
      // The limiter counts this failure and answers 429 itself once the IP is over the limit.
      void failedAuthLimiter(req, res, (err?: unknown) => next(err ?? authError));
      return;
    }
    next();
  };
}

function rateLimited(metrics: ApiMetrics) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    metrics.rejected.inc({ reason: 'rate_limit' });
    next(new FramewatchError('RATE_LIMITED', 'too many requests; retry after the time in Retry-After'));
  };
}

async function mustGetJob(jobs: JobStore, id: string): Promise<JobRecord> {
  const job = await jobs.get(id);
  if (job === null) throw notFound(id);
  return job;
}

function idParam(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !RESULT_ID_PATTERN.test(id)) throw notFound(String(id));
  return id;
}

function notFound(id: string): FramewatchError {
  return new FramewatchError('NOT_FOUND', `no analysis ${JSON.stringify(id.slice(0, 130))}`);
}

function idempotencyKeyOf(req: Request, principal: Principal | undefined): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new UsageError('Idempotency-Key must be 1–255 visible ASCII characters');
  }
  // Scoped to the caller, so that one principal's key can never return another's job.
  return `${encodeURIComponent(principal?.subject ?? '')}:${key}`;
}

function queryValue(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`query parameter ${name} must be given once`);
  return value;
}

function rejectQuery(req: Request, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(req.query as Record<string, unknown>)) {
    if (!allowed.has(key)) throw new UsageError(`unknown query parameter ${JSON.stringify(key.slice(0, 64))}`);
  }
}

function detectorsFromQuery(req: Request, known?: readonly string[]): string[] | undefined {
  rejectQuery(req, UPLOAD_QUERY_KEYS);
  const list = queryValue(req, 'detectors');
  if (list === undefined) return undefined;
  // Reuse the JSON rules for names, with a harmless placeholder source.
  return parseSubmission({ source: { url: 'https://upload.invalid/' }, detectors: list.split(',') }, known).detectors;
}

function runMiddleware(handler: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void handler(req, res, (err?: unknown) => (err ? reject(normalizeError(err)) : resolve()));
  });
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
