import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment } from './experiment';

/**
 * Floor of the per-frame F1 on the tiny held-out set below (documented in
 * libs/detectors/MODEL.md). The tiny run trains on 2 sources and 1 clip each, so it is far
 * below the full run's figure; it guards against a broken pipeline, not a small regression.
 */
const TINY_F1_FLOOR = 0.15;

describe('generate + train + evaluate (tiny)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mb-train-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains a model that beats the F1 floor on held-out sources and serialises it as ONNX', async () => {
    const result = await runExperiment(
      { workDir: dir, seed: 7, frames: 75, clipsPerSource: 1, variants: 2, sourcesPerSplit: 3, concurrency: 2 },
      { seed: 7, epochs: 40 },
    );
    expect(result.sizes.trainCorrupt).toBeGreaterThan(0);
    expect(result.evaluation.frames.corrupt).toBeGreaterThan(0);
    expect(result.evaluation.model.f1).toBeGreaterThanOrEqual(TINY_F1_FLOOR);
    expect(result.onnx.length).toBeGreaterThan(100);
  }, 120_000);
});
