/**
 * The API service: accepts analyses, records them as jobs, serves their status, live events and
 * reports. The work itself is done by the media-converter service, which claims the jobs.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@framewatch/config';
import { createApiApp } from '@framewatch/http-api';
import { createLogger } from '@framewatch/observability';
import { apiAuth, listen, onShutdown, sourceUrlValidator } from '@framewatch/runtime';
import { createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'api', level: config.logLevel });
  const jobs = createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') });
  const results = createLocalResultStore({ dir: config.dataDir });
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
  if (auth.devToken) process.stdout.write(`Framewatch API at ${server.url}\nDev token (12 h): ${auth.devToken}\n`);
  onShutdown(async () => {
    await server.close();
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
