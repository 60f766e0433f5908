// The model-training CLI: `train` regenerates the data, trains, evaluates and writes the model;
// `eval [test|validation|text]` regenerates the held-out (or the validation, or the rolling-text) set
// and scores it with the committed ONNX model; `eval stress` counts the false events on the clean
// stress clips.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MACROBLOCK_FEATURE_COUNT } from '@framewatch/detectors';
import { defaultEventRules } from '@framewatch/pipeline';
import * as ort from 'onnxruntime-node';
import { STRESS_SOURCES, generateDataset, planClips } from './data';
import type { ClipData, GenerateOptions } from './data';
import { FPS, evaluate, eventFigures, reportedEvents } from './evaluate';
import { detectorScores, pictureScores, runExperiment } from './experiment';
import type { TrainOptions } from './train';

const MODEL = 'libs/detectors/models/macroblocking.onnx';
const WORK = 'tmp/macroblocking';
const data: GenerateOptions = { workDir: path.join(WORK, 'clips'), seed: 5, frames: 150, clipsPerSource: 12, heldOutClipsPerSource: 18, variants: 2, concurrency: 2 };
const training: TrainOptions = { seed: 5, hidden: 16, members: 5, epochs: 80, learningRate: 0.01, batchSize: 128, l2: 1e-4 };

async function train(): Promise<void> {
  const result = await runExperiment(data, training);
  mkdirSync(path.dirname(MODEL), { recursive: true });
  writeFileSync(MODEL, result.onnx);
  const report = { model: MODEL, bytes: result.onnx.length, calibration: result.calibration, sizes: result.sizes, seconds: result.seconds, evaluation: result.evaluation, validation: result.validation, data, training };
  writeFileSync(path.join(WORK, 'train-report.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
  // The confirm score is the aggregator's rule, not part of the model file: the product must use
  // the one the model was calibrated with, or eval:macroblocking and Framewatch see other events.
  const productConfirm = defaultEventRules.macroblocking.confirmScore ?? null;
  if (result.calibration.confirmScore !== productConfirm) {
    console.error(`The model was calibrated with confirmScore ${result.calibration.confirmScore}; set defaultEventRules.macroblocking.confirmScore (libs/pipeline/src/aggregator.ts, now ${productConfirm}) to match.`);
    process.exitCode = 1;
  }
}

async function evalCommand(): Promise<void> {
  const split = process.argv[3] ?? 'test';
  if (split !== 'test' && split !== 'validation' && split !== 'text' && split !== 'stress') throw new Error(`eval takes test, validation, text or stress, not "${split}"`);
  const session = await ort.InferenceSession.create(readFileSync(MODEL), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  if (split === 'stress') return stressCommand(session);
  const clips = await generateDataset({ ...data, splits: [split] });
  const network = new Map<string, Float32Array>();
  const scores = new Map<string, Float32Array>();
  for (const clip of clips) {
    const raw = await networkScores(session, clip);
    network.set(clip.id, raw);
    scores.set(clip.id, detectorScores(clip, raw));
  }
  const evaluation = {
    ...(await evaluate(clips, (c) => scores.get(c.id) as Float32Array, undefined, (c) => network.get(c.id) as Float32Array)),
    pictureOnly: await eventFigures(clips, (c) => pictureScores(c, network.get(c.id) as Float32Array)),
  };
  writeFileSync(path.join(WORK, split === 'test' ? 'eval-report.json' : `eval-${split}-report.json`), JSON.stringify(evaluation, null, 2));
  console.log(JSON.stringify(evaluation, null, 2));
}

/**
 * `eval stress`: the clean stress clips (`STRESS_SOURCES` at every `STRESS_SIZES`, 6 s each) through
 * the committed model, its evidence gate and the aggregator; every event is a false one.
 */
async function stressCommand(session: ort.InferenceSession): Promise<void> {
  const clips = await generateDataset({ ...data, splits: ['stress'], variants: 0 });
  const names = new Map(Object.entries(STRESS_SOURCES).map(([name, graph]) => [graph, name]));
  const sizes = new Map(planClips({ ...data, splits: ['stress'] }).map((c) => [`${c.id}-clean`, `${c.width}x${c.height}`]));
  const bySource: Record<string, Record<string, [number, number][]>> = {};
  let falseEvents = 0;
  for (const clip of clips) {
    const found = await reportedEvents(detectorScores(clip, await networkScores(session, clip)));
    falseEvents += found.length;
    (bySource[names.get(clip.source) ?? clip.source] ??= {})[sizes.get(clip.id) ?? clip.id] = found.map(([a, b]) => [a / FPS, (b + 1) / FPS]);
  }
  const report = { clips: clips.length, seconds: clips.reduce((a, c) => a + c.labels.length / FPS, 0), falseEvents, bySource };
  writeFileSync(path.join(WORK, 'eval-stress-report.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
}

/** The committed network's per-frame scores of one clip, through onnxruntime-node. */
async function networkScores(session: ort.InferenceSession, clip: ClipData): Promise<Float32Array> {
  const out = await session.run({ features: new ort.Tensor('float32', clip.features, [clip.labels.length, MACROBLOCK_FEATURE_COUNT]) });
  return Float32Array.from(out.score.data as Float32Array);
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { train, eval: evalCommand };
const run = command !== undefined ? commands[command] : undefined;
if (run === undefined) {
  console.error('usage: main.js train | eval [test|validation|text|stress]');
  process.exitCode = 2;
} else {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
