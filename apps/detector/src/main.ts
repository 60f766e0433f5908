/**
 * The detector service: scores FrameBatches for one detector group (FRAMEWATCH_DETECTORS, all by
 * default) over signed RPC. In `services-s3` it also reads batches from the frames store by key.
 */
import { S3Client } from '@aws-sdk/client-s3';
import express from 'express';
import { loadConfig } from '@framewatch/config';
import { openDetector } from '@framewatch/detectors/onnx';
import { decodeFrameBatch } from '@framewatch/frame-codec';
import { createLogger } from '@framewatch/observability';
import { detectorContract, storedFrameDetectorContract } from '@framewatch/pipeline';
import { createRpcRouter } from '@framewatch/rpc';
import { listen, onShutdown, serviceCredentials } from '@framewatch/runtime';
import { awsClientConfig, openStores } from '@framewatch/runtime/stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: `detector-${config.detectorGroup}`, level: config.logLevel });
  const { verifier } = serviceCredentials(config);
  const detector = await openDetector({ group: config.detectorGroup, detectors: config.detectors.length > 0 ? config.detectors : undefined, macroblockingModel: config.macroblockingModel });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use(createRpcRouter(detectorContract, detector, { verifier, logger: log }));
  if (config.frameHandoff === 'local') {
    // The S3 client is built here, once, and only used when FRAMEWATCH_STORE=aws.
    const aws = config.store === 'aws' ? { s3: new S3Client(awsClientConfig(config, 's3')) } : {};
    const handoff = openStores(config, aws, log).frames();
    app.use(
      createRpcRouter(
        storedFrameDetectorContract,
        { detectStored: async (key: string) => detector.detect(decodeFrameBatch(await handoff.get(key))) },
        { verifier, logger: log },
      ),
    );
  }
  const server = await listen(app, config, log);
  onShutdown(() => server.close(), log);
}

main().catch((err: unknown) => {
  process.stderr.write(`detector: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
