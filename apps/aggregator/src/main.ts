/**
 * The aggregator service: turns detection batches from every detector group into defect events
 * over signed RPC, recording "defect opened/closed" as job events for the API's live stream.
 */
import express from 'express';
import path from 'node:path';
import { loadConfig } from '@framewatch/config';
import { createJobEventListener } from '@framewatch/jobs';
import { createLogger } from '@framewatch/observability';
import { aggregatorContract, createAggregator } from '@framewatch/pipeline';
import type { Aggregator } from '@framewatch/pipeline';
import { createRpcRouter } from '@framewatch/rpc';
import { listen, onShutdown, serviceCredentials } from '@framewatch/runtime';
import { createSqliteJobStore } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'aggregator', level: config.logLevel });
  const { verifier } = serviceCredentials(config);
  const jobs = createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') });
  const events = createJobEventListener(jobs, log);
  const inner = createAggregator({ listener: events });
  // Events recorded before `finish` answers, so a client that sees the job end has seen them all.
  const aggregator: Aggregator = {
    start: (stream) => inner.start(stream),
    ingest: (batch) => inner.ingest(batch),
    finish: async (streamId) => {
      const defects = await inner.finish(streamId);
      await events.flush();
      return defects;
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use(createRpcRouter(aggregatorContract, aggregator, { verifier, logger: log }));
  const server = await listen(app, config, log);
  onShutdown(async () => {
    await server.close();
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`aggregator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
