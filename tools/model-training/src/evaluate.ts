import { MACROBLOCK_FEATURE_COUNT } from '@framewatch/detectors';
import { DefectType, createAggregator } from '@framewatch/pipeline';
import type { EventRule } from '@framewatch/pipeline';
import type { ClipData } from './data';
import { bestThreshold } from './train';

/** Precision, recall and F1 of a binary decision. */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

/** What {@link evaluate} measures on a held-out set. */
export interface Evaluation {
  frames: { total: number; corrupt: number; ambiguousLeftOut: number };
  clips: { corrupted: number; clean: number };
  model: Prf & { auc: number };
  /**
   * The network's own per-frame figures, before the detector's evidence gate, when
   * {@link evaluate} is given them: `model` is what the detector reports, this is the learned model.
   */
  network?: Prf & { auc: number };
  blockdetect: Prf & { auc: number; threshold: number };
  events: Prf & { truth: number; predicted: number };
  /** Events over all clips, each event on a clean clip counted as a false one: what a user sees. */
  allClips: Prf;
  clean: { falsePositiveEvents: number; falsePositiveFrames: number; frames: number };
  /** Events by content source (the first 40 characters of its lavfi graph): where the model fails. */
  bySource: Record<string, { truth: number; found: number; predicted: number; falseOnClean: number }>;
  /**
   * Where the found events begin and end: each true event that was found against the predicted
   * events that overlap it, taken together (first start, last end). `withinGop` is the share of
   * them whose start and end are both within one GOP of the true ones (issue 5's "boundaries
   * within one GOP"); the errors are absolute, in seconds.
   */
  boundaries: { found: number; withinGop: number; medianStartErrorSec: number; medianEndErrorSec: number; maxStartErrorSec: number; maxEndErrorSec: number };
  /**
   * The same event figures from the picture alone, without the decoder's reports, when measured:
   * what a stream damaged upstream and re-encoded (no decoder errors reach the monitor) gets.
   */
  pictureOnly?: EventFigures;
}

/** Frames between two runs of labelled frames that still count as one true event (a GOP's recovery can flicker). */
export const EVENT_GAP = 5;

/** Frame rate of the generated clips. */
export const FPS = 25;

/** Per-frame precision/recall/F1 at `threshold` (score ≥ threshold is positive). */
export function prf(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): Prf {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] >= threshold;
    if (p && labels[i]) tp++;
    else if (p) fp++;
    else if (labels[i]) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** ROC-AUC (probability that a positive outscores a negative; ties count half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) {
      pos++;
      rankSum += rank;
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  return pos > 0 && neg > 0 ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : 0.5;
}

/** Runs of positive frames, merging runs separated by at most {@link EVENT_GAP} frames: [start, end] inclusive. */
export function events(positive: ArrayLike<boolean | number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < positive.length; i++) {
    if (!positive[i]) continue;
    const last = out[out.length - 1];
    if (last && i - last[1] - 1 <= EVENT_GAP) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

const overlaps = (a: [number, number], b: [number, number]): boolean => a[0] <= b[1] && b[0] <= a[1];

/**
 * The macroblocking events Framewatch would report for one clip's per-frame scores: the scores
 * go through the pipeline's own aggregator (`createAggregator` with the default macroblocking
 * rule: opens at 0.5, holds at 0.4, at least 0.2 s or one frame at its confirm score, gaps up to
 * 0.5 s bridged), or with `rule` overriding parts of it. Returns [first, last] frame indices,
 * inclusive.
 */
export async function reportedEvents(scores: ArrayLike<number>, fps = FPS, rule?: Partial<EventRule>): Promise<[number, number][]> {
  const aggregator = createAggregator(rule ? { rules: { macroblocking: rule } } : {});
  const streamId = 'eval';
  await aggregator.start({
    streamId,
    source: 'eval',
    media: { durationSec: scores.length / fps, formatName: 'eval', video: null, audio: null },
    detectors: [{ name: 'macroblocking', defect: DefectType.macroblocking, needs: { video: null, audio: null } }],
  });
  const units = Array.from({ length: scores.length }, (_, i) => ({ target: 'video' as const, index: i, pts: i / fps, durationSec: 1 / fps, scores: { macroblocking: scores[i] as number }, detail: {} }));
  await aggregator.ingest({ streamId, seq: 0, group: 'eval', detectors: ['macroblocking'], scores: units, final: true });
  const found = await aggregator.finish(streamId);
  return found.map((e) => [Math.round(e.startSec * fps), Math.max(Math.round(e.startSec * fps), Math.round(e.endSec * fps) - 1)]);
}

/** The event figures of an {@link Evaluation}, which {@link eventFigures} measures on their own. */
export type EventFigures = Pick<Evaluation, 'events' | 'allClips' | 'clean' | 'bySource' | 'boundaries'>;

/**
 * Evaluates per-frame scores of held-out clips: per-frame precision/recall/F1/ROC-AUC of the
 * model (threshold 0.5) and of blockdetect (its best-F1 threshold on the same frames), leaving
 * out the ambiguous frames (a few damaged blocks), and the events (see {@link eventFigures}).
 * `rule` overrides parts of the aggregator's macroblocking rule; `networkScoresOf`, when given,
 * adds the same per-frame figures of the network's scores before the evidence gate (`network`).
 */
export async function evaluate(
  clips: ClipData[],
  scoresOf: (clip: ClipData) => Float32Array,
  rule?: Partial<EventRule>,
  networkScoresOf?: (clip: ClipData) => Float32Array,
): Promise<Evaluation> {
  const scores = new Map(clips.map((clip) => [clip, scoresOf(clip)]));
  const s: number[] = [];
  const n: number[] = [];
  const b: number[] = [];
  const l: number[] = [];
  let ambiguousLeftOut = 0;
  for (const [clip, clipScores] of scores) {
    const networkScores = networkScoresOf?.(clip);
    for (let i = 0; i < clip.labels.length; i++) {
      if (clip.ambiguous[i]) {
        ambiguousLeftOut++;
        continue;
      }
      s.push(clipScores[i]);
      if (networkScores) n.push(networkScores[i] as number);
      b.push(clip.blockdetect[i]);
      l.push(clip.labels[i]);
    }
  }
  const labels = Uint8Array.from(l);
  const bd = Float32Array.from(b);
  const bdBest = bestThreshold(bd, labels);
  return {
    frames: { total: l.length + ambiguousLeftOut, corrupt: l.filter((v) => v).length, ambiguousLeftOut },
    clips: { corrupted: clips.filter((c) => c.corrupted).length, clean: clips.filter((c) => !c.corrupted).length },
    model: { ...prf(s, l), auc: rocAuc(s, l) },
    ...(networkScoresOf ? { network: { ...prf(n, l), auc: rocAuc(n, l) } } : {}),
    blockdetect: { ...prf(bd, l, bdBest.threshold), auc: rocAuc(bd, l), threshold: bdBest.threshold },
    ...(await eventFigures(clips, (clip) => scores.get(clip) as Float32Array, rule)),
  };
}

/**
 * The events of {@link evaluate} alone (what calibration compares, many times over): event-level
 * precision/recall over corrupted clips (predicted events are what the aggregator reports, see
 * {@link reportedEvents}, with `rule` overriding parts of its macroblocking rule; true events are
 * runs of labelled frames, see {@link events}; a match is any overlap); reported events and
 * frames ≥ 0.5 on the clean clips; and the boundaries of the events found against each clip's GOP.
 */
export async function eventFigures(clips: ClipData[], scoresOf: (clip: ClipData) => Float32Array, rule?: Partial<EventRule>): Promise<EventFigures> {
  let truthEvents = 0;
  let predictedEvents = 0;
  let matchedTruth = 0;
  let matchedPredicted = 0;
  const clean = { falsePositiveEvents: 0, falsePositiveFrames: 0, frames: 0 };
  const bySource: Evaluation['bySource'] = {};
  const startErrors: number[] = [];
  const endErrors: number[] = [];
  let withinGop = 0;
  for (const clip of clips) {
    const source = (bySource[clip.source.slice(0, 40)] ??= { truth: 0, found: 0, predicted: 0, falseOnClean: 0 });
    const scores = scoresOf(clip);
    const predicted = await reportedEvents(scores, FPS, rule);
    if (!clip.corrupted) {
      clean.frames += clip.labels.length;
      clean.falsePositiveEvents += predicted.length;
      source.falseOnClean += predicted.length;
      clean.falsePositiveFrames += Array.from(scores).filter((v) => v >= 0.5).length;
      continue;
    }
    const truth = events(clip.labels);
    truthEvents += truth.length;
    predictedEvents += predicted.length;
    let found = 0;
    for (const t of truth) {
      const over = predicted.filter((p) => overlaps(t, p));
      if (over.length === 0) continue;
      found++;
      const start = Math.abs(Math.min(...over.map((p) => p[0])) - t[0]);
      const end = Math.abs(Math.max(...over.map((p) => p[1])) - t[1]);
      startErrors.push(start / FPS);
      endErrors.push(end / FPS);
      if (start <= clip.gop && end <= clip.gop) withinGop++;
    }
    matchedTruth += found;
    source.truth += truth.length;
    source.found += found;
    source.predicted += predicted.length;
    matchedPredicted += predicted.filter((p) => truth.some((t) => overlaps(t, p))).length;
  }
  const ep = predictedEvents > 0 ? matchedPredicted / predictedEvents : 1;
  const er = truthEvents > 0 ? matchedTruth / truthEvents : 1;
  const allPredicted = predictedEvents + clean.falsePositiveEvents;
  const ap = allPredicted > 0 ? matchedPredicted / allPredicted : 1;
  return {
    events: { precision: ep, recall: er, f1: ep + er > 0 ? (2 * ep * er) / (ep + er) : 0, truth: truthEvents, predicted: predictedEvents },
    allClips: { precision: ap, recall: er, f1: ap + er > 0 ? (2 * ap * er) / (ap + er) : 0 },
    clean,
    bySource,
    boundaries: {
      found: startErrors.length,
      withinGop: startErrors.length > 0 ? withinGop / startErrors.length : 1,
      medianStartErrorSec: median(startErrors),
      medianEndErrorSec: median(endErrors),
      maxStartErrorSec: Math.max(0, ...startErrors),
      maxEndErrorSec: Math.max(0, ...endErrors),
    },
  };
}

/** The median of `values` (the upper one of an even count), 0 when there are none. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length > 0 ? (sorted[sorted.length >> 1] as number) : 0;
}

/** Stacks the frames of `clips` into one feature matrix with labels, leaving out ambiguous frames. */
export function stack(clips: ClipData[]): { x: Float32Array; y: Uint8Array; rows: number } {
  const F = MACROBLOCK_FEATURE_COUNT;
  let rows = 0;
  for (const c of clips) for (const a of c.ambiguous) if (!a) rows++;
  const x = new Float32Array(rows * F);
  const y = new Uint8Array(rows);
  let r = 0;
  for (const c of clips) {
    for (let i = 0; i < c.labels.length; i++) {
      if (c.ambiguous[i]) continue;
      x.set(c.features.subarray(i * F, (i + 1) * F), r * F);
      y[r++] = c.labels[i];
    }
  }
  return { x, y, rows };
}
