import { ConfigError, UsageError } from '@framewatch/errors';
import type { AudioChunk, DetectionBatch, FrameBatch, FrameScore, VideoFrame } from '@framewatch/frame-codec';
import { DefectType } from '@framewatch/pipeline';
import type { Detector, DetectorInfo, MediaNeeds } from '@framewatch/pipeline';
import { blackRatio, scoreBlack } from './black';
import { measureClipping, scoreClipping } from './clipping';
import { FreezeTracker } from './freeze';
import { createLumaReducer } from './luma-grid';
import { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_NEEDS, MacroblockFeatureTracker } from './macroblock-features';
import { DecoderReportGate, MacroblockEvidenceGate } from './macroblock-gate';
import type { MacroblockModel } from './macroblocking';
import { levelDbfs, scoreSilence } from './silence';
import { resolveThresholds } from './thresholds';
import type { DetectorThresholdOverrides } from './thresholds';

/** The detector algorithms a group runs by default, in the order their scores are listed. */
export const detectorNames = ['black', 'freeze', 'silence', 'clipping'] as const;

/**
 * Algorithms that run only when `options.detectors` names them (and their options are given):
 * `macroblocking` needs a loaded model and full-resolution luma, so the default analysis cost
 * does not change until its measured cost is accepted.
 */
export const optionalDetectorNames = ['macroblocking'] as const;

/** One of the {@link detectorNames} or {@link optionalDetectorNames}. */
export type DetectorName = (typeof detectorNames)[number] | (typeof optionalDetectorNames)[number];

/** Every algorithm, in the order scores are listed. */
const allDetectorNames: readonly DetectorName[] = [...detectorNames, ...optionalDetectorNames];

/**
 * Luma size black and freeze ask for. 320×180 keeps 16:9, is 1/16 of a 720p plane (ffmpeg's
 * scaled luma costs 2.3 s of CPU per minute of 720p against 3.8 s at full size), averages H.264
 * coding noise away before frames are compared, and still resolves a logo or a moving object of
 * a few pixels. Larger planes are averaged down to about this size (see createLumaReducer).
 */
const videoGrid = { width: 320, height: 180 } as const;

/**
 * Audio silence and clipping ask for: 48 kHz (broadcast's rate, so no resampling for most
 * sources) in stereo, not mono: a downmix can hide a clipped channel and can cancel anti-phase
 * channels into false silence. Both detectors measure each channel they are given.
 */
const audioFormat = { sampleRate: 48000, channels: 2 } as const;

const catalogue: Record<DetectorName, { defect: DefectType; needs: MediaNeeds }> = {
  black: { defect: DefectType.black, needs: { video: videoGrid, audio: null } },
  freeze: { defect: DefectType.freeze, needs: { video: videoGrid, audio: null } },
  silence: { defect: DefectType.silence, needs: { video: null, audio: audioFormat } },
  clipping: { defect: DefectType.clipping, needs: { video: null, audio: audioFormat } },
  macroblocking: { defect: DefectType.macroblocking, needs: { video: { ...MACROBLOCK_NEEDS }, audio: null } },
};

/** Options of the optional `macroblocking` algorithm. */
export interface MacroblockingOptions {
  /**
   * The model, loaded once at start-up with `loadMacroblockModel` (so createDetector stays
   * synchronous and a bad model file fails start-up, not the first batch).
   */
  model: MacroblockModel;
}

/** Options of {@link createDetector}. */
export interface DetectorOptions {
  /** Name of the detector group, reported in every DetectionBatch. Default `default`. */
  group?: string;
  /**
   * Which algorithms to run, any subset of {@link detectorNames} and {@link optionalDetectorNames}.
   * Default: all of {@link detectorNames} (the optional ones only when listed).
   */
  detectors?: readonly string[];
  /** Required when `detectors` lists `macroblocking`; ignored otherwise. */
  macroblocking?: MacroblockingOptions;
  /** Overrides of the default thresholds (see `defaultThresholds`). */
  thresholds?: DetectorThresholdOverrides;
}

/** What one stream leaves behind between batches. */
interface StreamState {
  /** The freeze detector's frames of this stream. */
  freeze: FreezeTracker;
  /** Duration of the last video frame scored, for a batch whose single frame has no neighbour. */
  lastFrameSec: number;
  /** The macroblocking features' view of the stream's past (previous frame, recent history). */
  macroblock: MacroblockFeatureTracker;
  /** Which of the stream's frames have seen evidence of damage lately (see MacroblockEvidenceGate). */
  macroblockGate: MacroblockEvidenceGate;
  /** How recently the decoder reported errors in the stream's bitstream (see DecoderReportGate). */
  decoderGate: DecoderReportGate;
}

/**
 * Creates a detector group: the black, freeze, silence and clipping algorithms (or a subset)
 * behind the `Detector` contract. Each video frame gets one `video` FrameScore and each audio
 * chunk one `audio` FrameScore; every score is in [0, 1] with 0.5 as the decision threshold.
 * Freeze keeps three luma grids per stream (previous frame and reference frames) until
 * `release`, the stream's final batch or a batch with `seq` 0; the first frame of a stream, and
 * every frame the black detector would call black, score 0 for freeze, so black is never
 * reported twice. Raw measurements go to `detail`: `black.ratio`; `freeze.changed`,
 * `freeze.meanShift`, `freeze.mad` (against the previous frame, when it was compared in full) and `freeze.drift` (against the
 * reference); `silence.dbfs`; `clipping.share`, `clipping.peak`. Thresholds and the reasons for
 * them: libs/detectors/THRESHOLDS.md.
 *
 * The optional `macroblocking` algorithm runs only when `detectors` lists it and
 * `macroblocking.model` holds a model loaded with `loadMacroblockModel`: it asks for full-size
 * deblocked luma, computes the `MacroblockFeatureTracker` features per frame (against the stream's past)
 * and scores all video frames of a batch in one model run; a frame with no evidence of damage in
 * the stream's last 8 frames scores 0 (`MacroblockEvidenceGate`: new damage-like blocks that the
 * previous frame, still or moved as a whole, does not explain). A frame within 15 frames after one
 * the decoder reported errors on (`VideoFrame.decodeErrors`) whose picture shows new block damage
 * scores 1 (`DecoderReportGate`).
 *
 * @throws UsageError (code `USAGE`) for an unknown detector name, an empty selection, an empty
 * group name, an invalid threshold, or `macroblocking` selected without a model.
 * @throws ConfigError (code `CONFIG_INVALID`) when the macroblocking model's feature count is
 * not {@link MACROBLOCK_FEATURE_COUNT}.
 *
 * @example
 * const detector = createDetector({ group: 'video', detectors: ['black', 'freeze'] });
 * const { detectors } = await detector.describe(); // needs: 320×180 luma, no audio
 * const scores = await detector.detect(batch);     // scores.scores[i].scores.black ≥ 0.5 → black frame
 * await detector.release(batch.streamId);
 */
export function createDetector(options: DetectorOptions = {}): Detector {
  const group = options.group ?? 'default';
  if (typeof group !== 'string' || group.trim() === '') throw new UsageError('detector group name must be a non-empty string');
  const names = selectDetectors(options.detectors);
  const thresholds = resolveThresholds(options.thresholds);
  const runBlack = names.includes('black');
  const runFreeze = names.includes('freeze');
  const runSilence = names.includes('silence');
  const runClipping = names.includes('clipping');
  const runMacroblocking = names.includes('macroblocking');
  const macroblockModel = runMacroblocking ? checkMacroblockModel(options.macroblocking) : null;
  const runGrid = runBlack || runFreeze;
  const runVideo = runGrid || runMacroblocking;
  const runAudio = runSilence || runClipping;
  // One reducer for all streams: detect() never awaits, so one call ends before the next begins.
  const reduce = createLumaReducer(videoGrid);
  const streams = new Map<string, StreamState>();

  function stateOf(batch: FrameBatch): StreamState {
    let state = streams.get(batch.streamId);
    // seq 0 starts a stream afresh: a frame left from an earlier run with the same id is no predecessor.
    if (state === undefined || batch.seq === 0) {
      state = { freeze: new FreezeTracker(thresholds.freeze), lastFrameSec: 0, macroblock: new MacroblockFeatureTracker(), macroblockGate: new MacroblockEvidenceGate(), decoderGate: new DecoderReportGate() };
      streams.set(batch.streamId, state);
    }
    return state;
  }

  function scoreFrame(frame: VideoFrame, durationSec: number, state: StreamState): FrameScore {
    const plane = lumaPlane(frame);
    const scores: Record<string, number> = {};
    const detail: Record<string, number> = {};
    const result: FrameScore = { target: 'video', index: frame.index, pts: frame.pts, durationSec, scores, detail };
    if (!runGrid) return result;
    const grid = reduce(plane, frame.width, frame.height);
    const ratio = blackRatio(grid, thresholds.black.lumaMax);
    const black = scoreBlack(ratio, thresholds.black);
    if (runBlack) {
      scores['black'] = black;
      detail['black.ratio'] = round6(ratio);
    }
    if (runFreeze) {
      // A black picture is "frozen" too; it is reported once, as black.
      const freeze = state.freeze.next(grid.data, grid.width, grid.height, frame.pts, black >= 0.5);
      scores['freeze'] = freeze.score;
      if (freeze.motion !== null) {
        detail['freeze.changed'] = round6(freeze.motion.changedShare);
        // A scan cut short on a clearly moving frame measured only part of the picture.
        if (freeze.motion.complete) {
          detail['freeze.meanShift'] = round6(freeze.motion.meanShift);
          detail['freeze.mad'] = round6(freeze.motion.mad);
        }
      }
      if (freeze.drift !== null) detail['freeze.drift'] = round6(freeze.drift.changedShare);
    }
    return result;
  }

  /**
   * Writes frame `i`'s macroblocking features into `features` and returns whether its change is
   * unexplained (for the evidence gate); the stream's tracker keeps (a copy of) what it needs.
   * Runs synchronously, in frame order, before the batch's one model run.
   */
  function macroblockRow(frame: VideoFrame, state: StreamState, features: Float32Array, i: number): boolean {
    const { width, height } = frame;
    const plane = lumaPlane(frame).subarray(0, width * height);
    state.macroblock.next(plane, width, height, features.subarray(i * MACROBLOCK_FEATURE_COUNT, (i + 1) * MACROBLOCK_FEATURE_COUNT));
    return state.macroblock.changeUnexplained;
  }

  function scoreChunk(chunk: AudioChunk, batch: FrameBatch): FrameScore {
    checkChunk(chunk, batch);
    const frames = chunk.samples.length / chunk.channels;
    const scores: Record<string, number> = {};
    const detail: Record<string, number> = {};
    if (runSilence) {
      const dbfs = levelDbfs(chunk);
      scores['silence'] = scoreSilence(dbfs, thresholds.silence);
      detail['silence.dbfs'] = Math.round(dbfs * 100) / 100;
    }
    if (runClipping) {
      const clip = measureClipping(chunk, thresholds.clipping.level, thresholds.clipping.minRun);
      scores['clipping'] = scoreClipping(clip.share, thresholds.clipping);
      detail['clipping.share'] = round6(clip.share);
      detail['clipping.peak'] = round6(clip.peak);
    }
    return { target: 'audio', index: chunk.index, pts: chunk.pts, durationSec: frames / chunk.sampleRate, scores, detail };
  }

  return {
    async describe() {
      const detectors: DetectorInfo[] = names.map((name) => ({
        name,
        defect: catalogue[name].defect,
        needs: structuredClone(catalogue[name].needs),
      }));
      return { group, detectors };
    },

    async detect(batch) {
      const scores: FrameScore[] = [];
      if (runVideo && batch.video.length > 0) {
        const state = stateOf(batch);
        const frames = batch.video;
        const features = macroblockModel === null ? null : new Float32Array(frames.length * MACROBLOCK_FEATURE_COUNT);
        const unexplained = new Uint8Array(features === null ? 0 : frames.length);
        for (let i = 0; i < frames.length; i++) {
          const frame = frames[i] as VideoFrame;
          const durationSec = frameDuration(frames, i, batch.endSec, state.lastFrameSec);
          state.lastFrameSec = durationSec;
          scores.push(scoreFrame(frame, durationSec, state));
          if (features !== null) unexplained[i] = macroblockRow(frame, state, features, i) ? 1 : 0;
        }
        if (macroblockModel !== null && features !== null) {
          // One model run per batch; everything before it ran synchronously, in call order.
          const gated = state.macroblockGate.apply(features, await macroblockModel.score(features, frames.length), frames.length, unexplained);
          const mb = state.decoderGate.apply(features, gated, frames.length, frames.map((f) => f.decodeErrors ?? 0));
          for (let i = 0; i < frames.length; i++) (scores[i] as FrameScore).scores['macroblocking'] = round6(clamp01(mb[i] as number));
        }
      }
      if (runAudio) for (const chunk of batch.audio) scores.push(scoreChunk(chunk, batch));
      // Nothing follows a final batch, so its state can go now rather than wait for release().
      if (batch.final) streams.delete(batch.streamId);
      const result: DetectionBatch = { streamId: batch.streamId, seq: batch.seq, group, detectors: [...names], scores, final: batch.final };
      return result;
    },

    async release(streamId) {
      streams.delete(streamId);
    },
  };
}

/** Validates a selection of detector names and puts it in canonical order without duplicates. */
function selectDetectors(requested: readonly string[] | undefined): DetectorName[] {
  if (requested === undefined) return [...detectorNames];
  const valid = allDetectorNames.join(', ');
  const unknown = requested.filter((name) => !(allDetectorNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown detector${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; valid names: ${valid}`, {
      detail: { unknown, valid: [...allDetectorNames] },
    });
  }
  if (requested.length === 0) throw new UsageError(`no detectors selected; valid names: ${valid}`);
  return allDetectorNames.filter((name) => requested.includes(name));
}

/** The loaded model the `macroblocking` algorithm needs, checked against the features it is fed. */
function checkMacroblockModel(options: MacroblockingOptions | undefined): MacroblockModel {
  const model = options?.model;
  if (model === undefined || typeof model.score !== 'function') {
    throw new UsageError('the macroblocking detector needs options.macroblocking.model (load it with loadMacroblockModel at start-up)');
  }
  if (model.featureCount !== MACROBLOCK_FEATURE_COUNT) {
    throw new ConfigError(`macroblocking model ${model.modelPath} takes ${model.featureCount} features per frame; the detector computes ${MACROBLOCK_FEATURE_COUNT}`);
  }
  return model;
}

function clamp01(x: number): number {
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/** The luma plane of a `gray` or `yuv420p` frame (plane 0 in both), checked against the frame size. */
function lumaPlane(frame: VideoFrame): Uint8Array {
  const { width, height } = frame;
  const plane = frame.planes[0];
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UsageError(`video frame ${frame.index}: invalid size ${width}×${height}`);
  }
  if (plane === undefined || plane.length < width * height) {
    throw new UsageError(`video frame ${frame.index}: luma plane holds ${plane?.length ?? 0} bytes, expected ${width}×${height}`);
  }
  return plane;
}

function checkChunk(chunk: AudioChunk, batch: FrameBatch): void {
  const { channels, sampleRate, samples } = chunk;
  if (!Number.isInteger(channels) || channels < 1 || !(sampleRate > 0) || samples.length % channels !== 0) {
    throw new UsageError(
      `stream ${batch.streamId} audio chunk ${chunk.index}: ${samples.length} samples do not form whole frames of ${channels} channels at ${sampleRate} Hz`,
    );
  }
}

/**
 * A frame's duration from its neighbours' pts: the next frame when there is one, else the
 * previous one in the batch, else the stream's last frame, else the batch's end.
 */
function frameDuration(frames: readonly VideoFrame[], i: number, batchEndSec: number, lastFrameSec: number): number {
  const pts = (frames[i] as VideoFrame).pts;
  const next = frames[i + 1];
  if (next !== undefined && next.pts > pts) return next.pts - pts;
  const previous = frames[i - 1];
  if (previous !== undefined && pts > previous.pts) return pts - previous.pts;
  if (lastFrameSec > 0) return lastFrameSec;
  return batchEndSec > pts ? batchEndSec - pts : 0;
}

/** Six decimals: enough for shares of a 320×180 grid (1 pixel = 1.7e-5), short on the wire. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
