/**
 * The API service: accepts analyses, records them as jobs, serves their status, live events and
 * reports. The work itself is done by the media-converter service, which claims the jobs.
 */
import path from 'node:path';
import { loadConfig } from '@framewatch/config';
import { createLogger } from '@framewatch/observability';
import { apiFromConfig } from '@framewatch/http-api';
import { listen, onShutdown } from '@framewatch/runtime';
import { createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'api', level: config.logLevel });
  const jobs = createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') });
  const results = createLocalResultStore({ dir: config.dataDir });
  const { api, devToken } = await apiFromConfig(config, { jobs, results, logger: log });
  const server = await listen(api.app, config, log);
  if (devToken) process.stdout.write(`Framewatch API at ${server.url}\nDev token (12 h): ${devToken}\n`);
  onShutdown(async () => {
    await server.close();
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
