/**
 * The monolith: the API, the job worker and every component in one process. Frames pass from
 * the converter to the detectors and on to the aggregator by reference; nothing is serialised.
 */
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@framewatch/config';
import { createDetector } from '@framewatch/detectors';
import { createApiApp } from '@framewatch/http-api';
import { createJobEventListener, createJobWorker, resolveJobSource } from '@framewatch/jobs';
import { createMediaConverter, mediaOptionsFromConfig } from '@framewatch/media';
import { createLogger } from '@framewatch/observability';
import { createAggregator } from '@framewatch/pipeline';
import { bindInProcess } from '@framewatch/rpc';
import { apiAuth, listen, onShutdown, sourceUrlValidator } from '@framewatch/runtime';
import { createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'monolith', level: config.logLevel });
  const jobs = createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') });
  const results = createLocalResultStore({ dir: config.dataDir });
  const events = createJobEventListener(jobs, log);

  // Uploads are files the API stored; URL jobs were checked by the API and again by resolveJobSource.
  const converter = bindInProcess(createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, logger: log }));
  const detector = bindInProcess(createDetector({ detectors: config.detectors.length > 0 ? config.detectors : undefined }));
  const aggregator = bindInProcess(createAggregator({ listener: events }));
  const worker = createJobWorker({
    jobs,
    results,
    components: () => ({ converter, detectors: [detector], aggregator }),
    resolveSource: resolveJobSource,
    owner: `${hostname()}:${process.pid}:monolith`,
    concurrency: config.maxConcurrentJobs,
    leaseSec: config.leaseSec,
    heartbeatSec: Math.max(0.2, config.leaseSec / 5),
    pollMs: 200,
    framesPerBatch: config.framesPerBatch,
    logger: log,
    flushEvents: events.flush,
  });

  const uploadsDir = path.join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const auth = await apiAuth(config);
  const { app } = createApiApp({
    jobs,
    results,
    authenticate: auth.authenticate,
    validateSourceUrl: sourceUrlValidator(config),
    uploadsDir,
    limits: {
      maxJsonBytes: 64 * 1024,
      maxUploadBytes: config.maxUploadBytes,
      maxQueued: config.maxQueued,
      rateLimit: { windowMs: 60_000, max: config.rateLimitPerMin },
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
    },
    logger: log,
  });
  const server = await listen(app, config, log);
  if (auth.devToken) process.stdout.write(`Framewatch monolith at ${server.url}\nDev token (12 h): ${auth.devToken}\n`);
  worker.start();
  onShutdown(async () => {
    await server.close();
    await worker.stop();
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`monolith: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
