import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MACROBLOCK_FEATURE_COUNT } from '@framewatch/detectors';
import { defaultMacroblockModelPath, loadMacroblockModel } from '@framewatch/detectors/onnx';
import { generateDataset } from './data';
import { evaluate } from './evaluate';
import { detectorScores, runExperiment } from './experiment';

/**
 * Floors of the committed model, through the detector's evidence gate and its motion test, on the
 * small held-out set below (two clips per held-out source, 10 clean and 20 corrupted, 14 true
 * events; libs/detectors/MODEL.md "Test floors"). Measured (twelfth session, with the streak
 * features): event F1 0.88 (11 of 14 found, 11 reported), frame F1 0.54, ROC-AUC 0.813 against
 * blockdetect's 0.520 (a lead of 0.294; 0.315 before), no event on the 10 clean clips. The floors
 * allow one event fewer (F1 0.83) and no clean event, so a worse model or a broken feature, label,
 * decoder, gate or aggregator fails here (a broken input takes the lead toward 0); the issue's
 * target (event F1 ≥ 0.9 on the full held-out set) is not reached.
 */
const FLOORS = { eventF1: 0.83, frameF1: 0.5, aucOverBlockdetect: 0.28, cleanEvents: 0 };

describe('the committed macroblocking model on held-out sources (small set)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mb-eval-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps event F1, frame F1 and its lead over blockdetect above the documented floors, with no event on clean clips', async () => {
    const model = await loadMacroblockModel({ modelPath: defaultMacroblockModelPath(), threads: 1, featureCount: MACROBLOCK_FEATURE_COUNT });
    const clips = await generateDataset({ workDir: path.join(dir, 'clips'), seed: 5, frames: 150, clipsPerSource: 2, variants: 2, splits: ['test'], concurrency: 2 });
    const scores = new Map<string, Float32Array>();
    // What the detector reports: the model's scores through its evidence gate, one gate per clip.
    for (const clip of clips) scores.set(clip.id, detectorScores(clip, await model.score(clip.features, clip.labels.length)));
    const result = await evaluate(clips, (c) => scores.get(c.id) as Float32Array);
    expect(result.clips).toEqual({ corrupted: 20, clean: 10 });
    expect(result.events.f1).toBeGreaterThanOrEqual(FLOORS.eventF1);
    expect(result.model.f1).toBeGreaterThanOrEqual(FLOORS.frameF1);
    expect(result.model.auc - result.blockdetect.auc).toBeGreaterThanOrEqual(FLOORS.aucOverBlockdetect);
    expect(result.clean.falsePositiveEvents).toBeLessThanOrEqual(FLOORS.cleanEvents);
  }, 120_000);
});

describe('generate + train + evaluate (tiny)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mb-train-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the whole training pipeline and serialises a model of the right width as ONNX', async () => {
    const result = await runExperiment({ workDir: dir, seed: 7, frames: 60, clipsPerSource: 1, variants: 1, sourcesPerSplit: 2, concurrency: 2 }, { seed: 7, epochs: 10, hidden: 4 });
    expect(result.sizes.trainClips).toBe(4);
    expect(result.sizes.trainFrames).toBeGreaterThan(100);
    expect(result.mlp.inputSize).toBe(MACROBLOCK_FEATURE_COUNT);
    expect(result.onnx.length).toBeGreaterThan(100);
  }, 120_000);
});
