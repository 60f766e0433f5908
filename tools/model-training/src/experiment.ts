import { DecoderReportGate, MACROBLOCK_FEATURE_COUNT, MacroblockEvidenceGate } from '@framewatch/detectors';
import { generateDataset } from './data';
import type { ClipData, GenerateOptions } from './data';
import { evaluate, eventFigures, stack } from './evaluate';
import type { Evaluation } from './evaluate';
import { writeMlpOnnx } from './onnx-writer';
import { mlpLayers, predict, trainEnsemble } from './train';
import type { Mlp, TrainOptions } from './train';

/** Result of {@link runExperiment}. */
export interface ExperimentResult {
  mlp: Mlp;
  onnx: Uint8Array;
  /** On the held-out (test) clips: the figures to report. */
  evaluation: Evaluation;
  /** On the validation clips (null when none were generated): the figures to compare variants on. */
  validation: Evaluation | null;
  /** How scores become events, chosen on the training clips (see {@link calibrateForEvents}). */
  calibration: Calibration;
  sizes: { trainClips: number; trainFrames: number; trainCorrupt: number; validationClips: number; testClips: number; testFrames: number };
  seconds: { generate: number; train: number };
}

/**
 * Generates the splits, trains the network (an ensemble merged into one, see `trainEnsemble`)
 * on the training clips, evaluates it (in TypeScript, same arithmetic as the ONNX graph) on the
 * validation and the held-out clips and serialises it as ONNX.
 */
export async function runExperiment(data: GenerateOptions, training: TrainOptions): Promise<ExperimentResult> {
  const t0 = Date.now();
  const clips = await generateDataset(data);
  const t1 = Date.now();
  const train = clips.filter((c) => c.split === 'train');
  const validationClips = clips.filter((c) => c.split === 'validation');
  const test = clips.filter((c) => c.split === 'test');
  const { x, y, rows } = stack(train);
  const mlp = trainEnsemble(x, y, rows, MACROBLOCK_FEATURE_COUNT, training);
  // Calibrated on the network's own scores: with the gate the training clips' clean events vanish
  // at lower thresholds, and a threshold chosen on that generalised worse (MODEL.md "Evidence gate").
  const calibration = await calibrateForEvents(mlp, train);
  const t2 = Date.now();
  const rule = { confirmScore: calibration.confirmScore ?? undefined };
  // Both the detector's scores and the network's own, from one network run per clip.
  const assess = async (set: ClipData[]): Promise<Evaluation> => {
    const network = new Map(set.map((c) => [c, scoreClip(mlp, c)]));
    const of = (c: ClipData): Float32Array => network.get(c) as Float32Array;
    const evaluation = await evaluate(set, (c) => detectorScores(c, of(c)), rule, of);
    return { ...evaluation, pictureOnly: await eventFigures(set, (c) => pictureScores(c, of(c)), rule) };
  };
  const evaluation = await assess(test);
  const validation = validationClips.length > 0 ? await assess(validationClips) : null;
  return {
    mlp,
    onnx: writeMlpOnnx({ layers: mlpLayers(mlp), inputSize: MACROBLOCK_FEATURE_COUNT }),
    evaluation,
    validation,
    calibration,
    sizes: {
      trainClips: train.length,
      trainFrames: rows,
      trainCorrupt: y.reduce((a, v) => a + v, 0),
      validationClips: validationClips.length,
      testClips: test.length,
      testFrames: test.reduce((a, c) => a + c.labels.length, 0),
    },
    seconds: { generate: (t1 - t0) / 1000, train: (t2 - t1) / 1000 },
  };
}

/** The network's per-frame scores of one clip. */
export function scoreClip(mlp: Mlp, clip: ClipData): Float32Array {
  return predict(mlp, clip.features, clip.labels.length);
}

/**
 * The scores the macroblocking detector would report for one clip from its picture alone, given
 * the network's: a copy of them through the detector's evidence gate (`MacroblockEvidenceGate`,
 * one per clip as per stream). What a stream damaged upstream and re-encoded, which reaches the
 * decoder without errors, gets.
 */
export function pictureScores(clip: ClipData, networkScores: Float32Array): Float32Array {
  return new MacroblockEvidenceGate().apply(clip.features, networkScores.slice(), clip.labels.length, clip.unexplained);
}

/**
 * The scores the macroblocking detector reports for one clip, given the network's: the
 * {@link pictureScores}, then the decoder's reports (`DecoderReportGate`, one per clip as per
 * stream).
 */
export function detectorScores(clip: ClipData, networkScores: Float32Array): Float32Array {
  return new DecoderReportGate().apply(clip.features, pictureScores(clip, networkScores), clip.labels.length, clip.decodeErrors);
}

/** Thresholds {@link calibrateForEvents} tries. */
const CANDIDATE_THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
/**
 * Confirm scores (the aggregator's `confirmScore`, on the calibrated scores) it tries with each
 * threshold, from the most alarms to the fewest; null is none, only the minimum duration.
 */
const CANDIDATE_CONFIRM_SCORES = [0.8, 0.85, 0.9, 0.95, null] as const;

/** What {@link calibrateForEvents} chose. */
export interface Calibration {
  /** The network's decision threshold, before it was moved to 0.5. */
  threshold: number;
  /** The macroblocking rule's `confirmScore` that goes with it (null: none). */
  confirmScore: number | null;
  trainingEventF1: number;
  trainingCleanEvents: number;
}

/**
 * Chooses how the network's scores become events, for what a user sees, on the training clips:
 * the decision threshold and the aggregator's confirm score (one frame that sure is an event
 * however short, see `EventRule`), each pair running every clip through the aggregator (see
 * `eventFigures`). The targets come in order: first no event on clean content (the pairs
 * with the fewest events on the clean training clips), then among those the best event F1 over all
 * clips, counting every event on a clean clip as a false one (ties go to the higher threshold,
 * then to the higher confirm score: fewer alarms). The output bias is then moved so that the
 * chosen threshold sits at 0.5, the aggregator's bar; the confirm score applies to the moved
 * scores and is the product's rule to set (`defaultEventRules.macroblocking`).
 */
export async function calibrateForEvents(mlp: Mlp, clips: ClipData[]): Promise<Calibration> {
  const logit = (p: number): number => Math.log(p / (1 - p));
  const raw = new Map(clips.map((c) => [c.id, scoreClip(mlp, c)]));
  let best: Calibration = { threshold: 0.5, confirmScore: null, trainingEventF1: -1, trainingCleanEvents: Number.POSITIVE_INFINITY };
  for (const threshold of CANDIDATE_THRESHOLDS) {
    const shift = logit(threshold);
    const shifted = new Map([...raw].map(([id, s]) => [id, s.map((v) => 1 / (1 + Math.exp(-(logit(Math.min(1 - 1e-7, Math.max(1e-7, v))) - shift))))]));
    for (const confirmScore of CANDIDATE_CONFIRM_SCORES) {
      const result = await eventFigures(clips, (c) => shifted.get(c.id) as Float32Array, { confirmScore: confirmScore ?? undefined });
      const candidate = { threshold, confirmScore, trainingEventF1: result.allClips.f1, trainingCleanEvents: result.clean.falsePositiveEvents };
      const fewerAlarms = candidate.trainingCleanEvents < best.trainingCleanEvents;
      const asFew = candidate.trainingCleanEvents === best.trainingCleanEvents;
      if (fewerAlarms || (asFew && candidate.trainingEventF1 >= best.trainingEventF1)) best = candidate;
    }
  }
  mlp.b2 -= logit(best.threshold);
  return best;
}
