/**
 * The detector service: scores FrameBatches for one detector group (FRAMEWATCH_DETECTORS, all by
 * default) over signed RPC. In `services-s3` it also reads batches from the frames store by key.
 */
import express from 'express';
import { loadConfig } from '@framewatch/config';
import { createDetector } from '@framewatch/detectors';
import { decodeFrameBatch } from '@framewatch/frame-codec';
import { createLogger } from '@framewatch/observability';
import { detectorContract, storedFrameDetectorContract } from '@framewatch/pipeline';
import { createRpcRouter } from '@framewatch/rpc';
import { listen, onShutdown, serviceCredentials } from '@framewatch/runtime';
import { createLocalFrameHandoff } from '@framewatch/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: `detector-${config.detectorGroup}`, level: config.logLevel });
  const { verifier } = serviceCredentials(config);
  const detector = createDetector({ group: config.detectorGroup, detectors: config.detectors.length > 0 ? config.detectors : undefined });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use(createRpcRouter(detectorContract, detector, { verifier, logger: log }));
  if (config.frameHandoff === 'local') {
    const handoff = createLocalFrameHandoff({ dir: config.dataDir });
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
