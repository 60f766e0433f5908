import { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_FEATURE_NAMES } from './macroblock-features';

/**
 * The features that count blocks which newly look damaged, as a share of the frame's blocks:
 * blocks with artifact edges, change edges, a collapsed or a stuck texture above the stream's
 * recent median, and blocks newly artifacted or collapsed since the previous frame.
 */
const EVIDENCE = (['artifactBlockShareRise', 'changeBlockShareRise', 'newArtifactBlockShare', 'collapseShareRise', 'stuckShareRise', 'newCollapseShare'] as const).map((name) =>
  MACROBLOCK_FEATURE_NAMES.indexOf(name),
);

/**
 * The share of blocks that must be exceeded by those that newly look damaged
 * ({@link macroblockEvidence}) for the frame's score, and the next
 * {@link MACROBLOCK_EVIDENCE_FRAMES} frames' scores, to count. Chosen on the validation set
 * (MODEL.md "Evidence gate"): a clock whose digits change every frame touches 1–4 blocks
 * (0.1–0.3 %), while a corrupted frame is one with ≥ 2 % of its blocks damaged. "More than", not
 * "at least": the features are float32, where exactly 1 % (3 of the 300 blocks of 320×240) is
 * 0.0099999998, so the strict comparison says what the comparison with it does.
 */
export const MACROBLOCK_EVIDENCE_FLOOR = 0.01;

/**
 * A frame the network is this sure of (its calibrated score) brings evidence with fewer blocks:
 * more than {@link MACROBLOCK_SURE_EVIDENCE_FLOOR} of them, the motion test still required. Missed
 * held-out events in text and smooth ramps scored 0.9–0.99 with 0.5–1 % of their blocks newly
 * damaged. Chosen on the validation set, with no false event more there, on rolling credits or on
 * the stress clips (MODEL.md "Evidence gate", ninth session).
 */
export const MACROBLOCK_SURE_SCORE = 0.99;
/** The evidence a frame scored at least {@link MACROBLOCK_SURE_SCORE} needs: more than 0.5 % of its blocks. */
export const MACROBLOCK_SURE_EVIDENCE_FLOOR = 0.005;

/**
 * Frames a frame with evidence keeps the gate open for (0.32 s at 25 fps), chosen on the validation
 * set (MODEL.md "Evidence gate"): long enough for the frames just after an onset, which show
 * little new while the decoder copies the damage; short enough that the tail after the repairing
 * keyframe (itself a burst of block-aligned change) stays within a short GOP. 25 frames found the
 * same events but ended more of them over one GOP late.
 */
export const MACROBLOCK_EVIDENCE_FRAMES = 8;

/**
 * The share of blocks that newly look damaged in one frame's features (those at `offset` in
 * `features`): the largest of the evidence features.
 */
export function macroblockEvidence(features: ArrayLike<number>, offset = 0): number {
  let evidence = 0;
  for (const k of EVIDENCE) evidence = Math.max(evidence, features[offset + k] as number);
  return evidence;
}

/**
 * Zeroes the macroblocking score of frames with no evidence of damage in the last
 * {@link MACROBLOCK_EVIDENCE_FRAMES} frames (the frame itself included). A frame brings evidence
 * when more than {@link MACROBLOCK_EVIDENCE_FLOOR} of its blocks newly look damaged
 * ({@link macroblockEvidence}; {@link MACROBLOCK_SURE_EVIDENCE_FLOOR} when its score is at least
 * {@link MACROBLOCK_SURE_SCORE}) and, in it or in the frames before it within the same window, the
 * picture changed in a way the previous frame, still or moved as a whole, does not explain
 * (`MacroblockFeatureTracker.changeUnexplained`). Why both:
 * - the network never saw some kinds of legitimate, block-aligned change (a ticking clock), and
 *   there it can score a handful of changed blocks as damage: the floor;
 * - a sharp pattern or graphic sliding across the picture puts new edges on the 16-pixel grid in
 *   many blocks at once, which the features count as evidence, yet nothing new appeared: the
 *   motion test. The window lets evidence that the stream's recent past shows only a few frames
 *   after the damage appeared (the rise features) still count.
 *
 * One gate per stream, fed the stream's frames in order (its state carries across batches), like
 * the feature tracker.
 *
 * @example
 * const gate = new MacroblockEvidenceGate();
 * gate.apply(features, scores, n, unexplained); // scores of frames without recent evidence become 0
 */
export class MacroblockEvidenceGate {
  /** Frames since the last frame with evidence; at least MACROBLOCK_EVIDENCE_FRAMES when there was none. */
  private sinceEvidence = MACROBLOCK_EVIDENCE_FRAMES;
  /** Frames since the last unexplained change; MACROBLOCK_EVIDENCE_FRAMES or more when there was none. */
  private sinceUnexplained = MACROBLOCK_EVIDENCE_FRAMES;

  /**
   * Gates the scores of the stream's next `n` frames in place: `features` holds their `n ×`
   * {@link MACROBLOCK_FEATURE_COUNT} features, frame-major, `scores` their `n` scores and
   * `unexplained` whether each one's change is unexplained (1) or not (0). Returns `scores`.
   */
  apply(features: Float32Array, scores: Float32Array, n: number, unexplained: Uint8Array): Float32Array {
    for (let i = 0; i < n; i++) {
      this.sinceUnexplained = unexplained[i] ? 0 : this.sinceUnexplained + 1;
      const floor = (scores[i] as number) >= MACROBLOCK_SURE_SCORE ? MACROBLOCK_SURE_EVIDENCE_FLOOR : MACROBLOCK_EVIDENCE_FLOOR;
      const evidence = this.sinceUnexplained < MACROBLOCK_EVIDENCE_FRAMES && macroblockEvidence(features, i * MACROBLOCK_FEATURE_COUNT) > floor;
      this.sinceEvidence = evidence ? 0 : this.sinceEvidence + 1;
      if (this.sinceEvidence > MACROBLOCK_EVIDENCE_FRAMES) scores[i] = 0;
    }
    return scores;
  }
}

/** The `…Rise` features: each counts blocks that look damaged beyond the stream's recent median. */
const RISES = MACROBLOCK_FEATURE_NAMES.flatMap((name, k) => (name.endsWith('Rise') ? [k] : []));

/**
 * Frames after a frame with decoder reports (`VideoFrame.decodeErrors`) that the reports still
 * count for, the frame itself being 0: 0.6 s at 25 fps. The converter gives a report to the
 * first frame ffmpeg's log marks after it, which can be a few frames before the frame shown
 * damaged (the decoder's reorder delay), and the damage can take a few frames more to show.
 * Chosen with
 * {@link DECODER_REPORT_EVIDENCE} on the validation and rolling-text sets (MODEL.md "Decoder
 * reports").
 */
export const DECODER_REPORT_FRAMES = 15;
/** The share of blocks one of the `…Rise` features must exceed for a reported frame's picture to show damage. */
export const DECODER_REPORT_EVIDENCE = 0.03;

/**
 * Scores 1 (certain macroblocking) for the frames within {@link DECODER_REPORT_FRAMES} after the
 * decoder reported errors in the bitstream whose picture shows new block damage: one of the
 * `…Rise` features above {@link DECODER_REPORT_EVIDENCE}. The decoder knows the stream is damaged
 * even when the picture alone says little (rule-110 cells in the wrong place, a smooth ramp a few
 * codes off), and the picture tells a visible error from one the decoder concealed without a trace
 * (a still picture). Other scores are kept: damage decoded and re-encoded upstream reaches the
 * monitor with no decoder report, and only the network sees it.
 *
 * One gate per stream, fed the stream's frames in order after {@link MacroblockEvidenceGate}.
 *
 * @example
 * const gate = new DecoderReportGate();
 * gate.apply(features, scores, n, reports); // reports[i] = frames[i].decodeErrors ?? 0
 */
export class DecoderReportGate {
  /** Frames since the last frame with reports; more than DECODER_REPORT_FRAMES when there was none. */
  private sinceReport = DECODER_REPORT_FRAMES + 1;

  /**
   * Applies the reports of the stream's next `n` frames (`reports[i]` > 0: the decoder reported
   * errors) to their `scores` in place, given their `n ×` {@link MACROBLOCK_FEATURE_COUNT}
   * features, frame-major. Returns `scores`.
   */
  apply(features: Float32Array, scores: Float32Array, n: number, reports: ArrayLike<number>): Float32Array {
    for (let i = 0; i < n; i++) {
      this.sinceReport = (reports[i] as number) > 0 ? 0 : Math.min(this.sinceReport + 1, DECODER_REPORT_FRAMES + 1);
      if (this.sinceReport > DECODER_REPORT_FRAMES) continue;
      const offset = i * MACROBLOCK_FEATURE_COUNT;
      if (RISES.some((k) => (features[offset + k] as number) > DECODER_REPORT_EVIDENCE)) scores[i] = 1;
    }
    return scores;
  }
}
