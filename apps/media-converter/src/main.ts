/**
 * The media-converter service: the worker of the split topologies. It claims jobs, decodes each
 * source with ffmpeg and fans every FrameBatch out to the detector groups (in the call, or through
 * the frames store in `services-s3`), feeding their scores to the aggregator service.
 */
import express from 'express';
import { hostname } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@framewatch/config';
import { ConfigError } from '@framewatch/errors';
import { createJobWorker, resolveJobSource } from '@framewatch/jobs';
import { createMediaConverter, mediaOptionsFromConfig } from '@framewatch/media';
import { createLogger } from '@framewatch/observability';
import { aggregatorContract, detectorContract, storedFrameDetectorContract } from '@framewatch/pipeline';
import type { Detector } from '@framewatch/pipeline';
import { createRpcClient } from '@framewatch/rpc';
import { createHandoffDetectors, listen, onShutdown, serviceCredentials } from '@framewatch/runtime';
import { createLocalFrameHandoff, createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'media-converter', level: config.logLevel });
  const { signer } = serviceCredentials(config);
  if (config.detectorUrls.length === 0 || !config.aggregatorUrl) {
    throw new ConfigError('FRAMEWATCH_DETECTOR_URLS and FRAMEWATCH_AGGREGATOR_URL are required');
  }
  const jobs = createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') });
  const results = createLocalResultStore({ dir: config.dataDir });
  // Uploads are files the API stored; URL jobs were checked by the API and again by resolveJobSource.
  const converter = createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, logger: log });
  const rpc = { signer, timeoutMs: 30_000, retry: { attempts: 3, baseDelayMs: 50 } };
  const detectorClients = config.detectorUrls.map((baseUrl) => createRpcClient(detectorContract, { ...rpc, baseUrl }));
  const detectors: Detector[] =
    config.frameHandoff === 'local'
      ? createHandoffDetectors(
          createLocalFrameHandoff({ dir: config.dataDir }),
          config.detectorUrls.map((baseUrl, i) => ({
            detector: detectorClients[i] as Detector,
            stored: createRpcClient(storedFrameDetectorContract, { ...rpc, baseUrl }),
          })),
        )
      : detectorClients;
  const aggregator = createRpcClient(aggregatorContract, { ...rpc, baseUrl: config.aggregatorUrl });

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
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', activeJobs: worker.active() }));
  const server = await listen(app, config, log);
  worker.start();
  onShutdown(async () => {
    await worker.stop();
    await server.close();
    await Promise.all([...detectorClients, aggregator].map((c) => c.close()));
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`media-converter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
