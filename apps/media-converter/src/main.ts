/**
 * The media-converter service: the worker of the split topologies. It claims jobs, decodes each
 * source with ffmpeg and fans every FrameBatch out to the detector groups (in the call, or through
 * the frames store in `services-s3`), feeding their scores to the aggregator service.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import express from 'express';
import { hostname } from 'node:os';
import { loadConfig } from '@framewatch/config';
import { ConfigError } from '@framewatch/errors';
import { createJobWorker, resolveJobSource } from '@framewatch/jobs';
import { createMediaConverter, mediaOptionsFromConfig } from '@framewatch/media';
import { createLogger } from '@framewatch/observability';
import { aggregatorContract, detectorContract, storedFrameDetectorContract } from '@framewatch/pipeline';
import type { Detector } from '@framewatch/pipeline';
import { createRpcClient } from '@framewatch/rpc';
import { createHandoffDetectors, listen, onShutdown, serviceCredentials, transportCounters, transportDelta } from '@framewatch/runtime';
import type { TransportCounters } from '@framewatch/runtime';
import { createDocumentClient } from '@framewatch/dynamo';
import { awsClientConfig, openStores } from '@framewatch/runtime/stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'media-converter', level: config.logLevel });
  const { signer } = serviceCredentials(config);
  if (config.detectorUrls.length === 0 || !config.aggregatorUrl) {
    throw new ConfigError('FRAMEWATCH_DETECTOR_URLS and FRAMEWATCH_AGGREGATOR_URL are required');
  }
  // AWS clients are built here, once, and only used when FRAMEWATCH_STORE=aws.
  const aws =
    config.store === 'aws'
      ? { dynamo: createDocumentClient({ client: new DynamoDBClient(awsClientConfig(config, 'dynamodb')) }), s3: new S3Client(awsClientConfig(config, 's3')) }
      : {};
  const stores = openStores(config, aws, log);
  const jobs = stores.jobs();
  const results = stores.results();
  // Uploads are files the API stored; URL jobs were checked by the API and again by resolveJobSource.
  const converter = createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, logger: log });
  const rpc = { signer, timeoutMs: 30_000, retry: { attempts: 3, baseDelayMs: 50 } };
  const detectorClients = config.detectorUrls.map((baseUrl) => createRpcClient(detectorContract, { ...rpc, baseUrl }));
  const handoff = config.frameHandoff === 'local' ? stores.frames() : undefined;
  const storedClients = handoff ? config.detectorUrls.map((baseUrl) => createRpcClient(storedFrameDetectorContract, { ...rpc, baseUrl })) : [];
  const detectors: Detector[] = handoff
    ? createHandoffDetectors(
        handoff,
        detectorClients.map((detector, i) => ({ detector, stored: storedClients[i] as (typeof storedClients)[number] })),
      )
    : detectorClients;
  const aggregator = createRpcClient(aggregatorContract, { ...rpc, baseUrl: config.aggregatorUrl });
  const transport = transportCounters({ detector: detectorClients, stored: storedClients, aggregator }, handoff);
  const atStart = new Map<string, TransportCounters>();

  const worker = createJobWorker({
    jobs,
    results,
    components: () => ({ converter, detectors, aggregator }),
    resolveSource: resolveJobSource,
    owner: `${hostname()}:${process.pid}:media-converter`,
    concurrency: config.maxConcurrentJobs,
    leaseSec: config.leaseSec,
    heartbeatSec: Math.max(1, config.leaseSec / 5),
    pollMs: 200,
    framesPerBatch: config.framesPerBatch,
    logger: log,
    onJobStarted: (job) => void atStart.set(job.id, transport()),
    onJobFinished: (job, result) => {
      const before = atStart.get(job.id);
      atStart.delete(job.id);
      if (!before) return;
      // Counters are per process, so a delta is this job's own traffic only when no other job
      // overlapped it (activeJobs 1): the topology benchmark runs one job at a time.
      log.info(
        { jobId: job.id, videoFrames: result.stats.videoFrames, audioChunks: result.stats.audioChunks, activeJobs: worker.active(), ...transportDelta(transport(), before) },
        'job transport',
      );
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', activeJobs: worker.active() }));
  const server = await listen(app, config, log);
  worker.start();
  onShutdown(async () => {
    await worker.stop();
    await server.close();
    await Promise.all([...detectorClients, ...storedClients, aggregator].map((c) => c.close()));
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`media-converter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
