/**
 * The aggregator service: turns detection batches from every detector group into defect events
 * over signed RPC, recording "defect opened/closed" as job events for the API's live stream.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import express from 'express';
import { loadConfig } from '@framewatch/config';
import { createJobEventListener } from '@framewatch/jobs';
import { createLogger } from '@framewatch/observability';
import { aggregatorContract, combineListeners, createAggregator } from '@framewatch/pipeline';
import type { Aggregator } from '@framewatch/pipeline';
import { createRpcRouter } from '@framewatch/rpc';
import { listen, onShutdown, serviceCredentials } from '@framewatch/runtime';
import { createDocumentClient } from '@framewatch/dynamo';
import { createNotifyingListener } from '@framewatch/notify';
import { awsClientConfig, openStores } from '@framewatch/runtime/stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'aggregator', level: config.logLevel });
  const { verifier } = serviceCredentials(config);
  // AWS clients are built here, once, and only used when FRAMEWATCH_STORE=aws.
  const aws =
    config.store === 'aws'
      ? { dynamo: createDocumentClient({ client: new DynamoDBClient(awsClientConfig(config, 'dynamodb')) }), sns: new SNSClient(awsClientConfig(config, 'sns')) }
      : {};
  const stores = openStores(config, aws, log);
  const jobs = stores.jobs();
  const events = createJobEventListener(jobs, log);
  const alerts = createNotifyingListener(stores.notifier(), log);
  const inner = createAggregator({ listener: combineListeners(events, alerts) });
  // Events recorded before `finish` answers, so a client that sees the job end has seen them all.
  const aggregator: Aggregator = {
    start: (stream) => inner.start(stream),
    ingest: (batch) => inner.ingest(batch),
    snapshot: (streamId, fromClosed) => inner.snapshot(streamId, fromClosed),
    finish: async (streamId) => {
      const defects = await inner.finish(streamId);
      await Promise.all([events.flush(), alerts.flush()]);
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
