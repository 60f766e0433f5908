/**
 * The monolith: the API, the job worker and every component in one process. Frames pass from
 * the converter to the detectors and on to the aggregator by reference; nothing is serialised.
 */
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { loadConfig } from '@framewatch/config';
import { openDetector } from '@framewatch/detectors/onnx';
import { createJobEventListener, createJobWorker, resolveJobSource } from '@framewatch/jobs';
import { createMediaConverter, mediaOptionsFromConfig } from '@framewatch/media';
import { createLogger } from '@framewatch/observability';
import { combineListeners, createAggregator } from '@framewatch/pipeline';
import { bindInProcess } from '@framewatch/rpc';
import { apiFromConfig } from '@framewatch/http-api';
import { listen, onShutdown } from '@framewatch/runtime';
import { createDocumentClient } from '@framewatch/dynamo';
import { createNotifyingListener } from '@framewatch/notify';
import { awsClientConfig, openStores } from '@framewatch/runtime/stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'monolith', level: config.logLevel });
  // AWS clients are built here, once, and only used when FRAMEWATCH_STORE=aws.
  const aws =
    config.store === 'aws'
      ? {
          dynamo: createDocumentClient({ client: new DynamoDBClient(awsClientConfig(config, 'dynamodb')) }),
          s3: new S3Client(awsClientConfig(config, 's3')),
          sns: new SNSClient(awsClientConfig(config, 'sns')),
        }
      : {};
  const stores = openStores(config, aws, log);
  const jobs = stores.jobs();
  const results = stores.results();
  const events = createJobEventListener(jobs, log);
  const alerts = createNotifyingListener(stores.notifier(), log);

  // Uploads are files the API stored; URL jobs were checked by the API and again by resolveJobSource.
  const converter = bindInProcess(createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, logger: log }));
  const detector = bindInProcess(await openDetector({ detectors: config.detectors.length > 0 ? config.detectors : undefined, macroblockingModel: config.macroblockingModel }));
  const aggregator = bindInProcess(createAggregator({ listener: combineListeners(events, alerts) }));
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
    flushEvents: async () => {
      await Promise.all([events.flush(), alerts.flush()]);
    },
    // The same per-job line the media converter logs, so the topology benchmark reads every
    // topology alike: here every binding is in-process, so there is no RPC client and no frames
    // store to count, and the zeros are what this process really moved between processes.
    onJobFinished: (job, result) =>
      log.info(
        {
          jobId: job.id,
          videoFrames: result.stats.videoFrames,
          audioChunks: result.stats.audioChunks,
          activeJobs: worker.active(),
          rpc: { calls: 0, attempts: 0, retries: 0, bytesSent: 0, bytesReceived: 0 },
          calls: { detector: 0, stored: 0, aggregator: 0 },
          frameStore: null,
        },
        'job transport',
      ),
  });

  const { api, devToken } = await apiFromConfig(config, { jobs, results, logger: log });
  const server = await listen(api.app, config, log);
  if (devToken) process.stdout.write(`Framewatch monolith at ${server.url}\nDev token (12 h): ${devToken}\n`);
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
