/**
 * The wire-stable data model that flows between the pipeline's components (DESIGN.md
 * "Data model"). These are plain data: typed-array views plus numbers and strings, so that the
 * in-process binding can pass them by reference and the HTTP binding can encode them with this
 * library's binary codec.
 */

/** Pixel layouts a video frame may carry. `gray` is one 8-bit luma plane. */
export const PixelFormat = {
  gray: 'gray',
  yuv420p: 'yuv420p',
} as const;

/** One of the {@link PixelFormat} values. */
export type PixelFormat = (typeof PixelFormat)[keyof typeof PixelFormat];

/** A decoded video frame. Planes are tightly packed (stride = plane width). */
export interface VideoFrame {
  /** Presentation time, media seconds from the first frame. */
  pts: number;
  /** Frame index from the start of the stream (0-based). */
  index: number;
  width: number;
  height: number;
  format: PixelFormat;
  /** One entry per plane: `gray` has 1, `yuv420p` has 3 (Y, U, V). */
  planes: Uint8Array[];
  /**
   * Error reports the video decoder logged about the bitstream (ffmpeg's error-level lines such as
   * `error while decoding MB` or `Missing reference picture`), counted by the media converter and
   * given to the first frame ffmpeg's log marks after them (the converter's DecoderReportLedger);
   * absent or 0 when there were none. The
   * macroblocking detector takes them as a hint that the next frames may be damaged.
   */
  decodeErrors?: number;
}

/** A chunk of decoded PCM audio, interleaved float32 in [-1, 1]. */
export interface AudioChunk {
  /** Presentation time of the first sample, media seconds from the first frame. */
  pts: number;
  /** Chunk index from the start of the stream (0-based). */
  index: number;
  sampleRate: number;
  channels: number;
  /** Interleaved samples; `samples.length / channels` frames. */
  samples: Float32Array;
}

/** A batch of decoded media handed from the media converter to the detectors. */
export interface FrameBatch {
  /** Identifies the analysis (job id) the batch belongs to. */
  streamId: string;
  /** 0-based, gap-free sequence number of the batch within its stream. */
  seq: number;
  /** Media time range covered, `[startSec, endSec)`. */
  startSec: number;
  endSec: number;
  video: VideoFrame[];
  audio: AudioChunk[];
  /** True on the last batch of a finite stream. */
  final: boolean;
}

/** Which kind of unit a {@link FrameScore} scores. */
export const ScoreTarget = {
  video: 'video',
  audio: 'audio',
} as const;

/** One of the {@link ScoreTarget} values. */
export type ScoreTarget = (typeof ScoreTarget)[keyof typeof ScoreTarget];

/** The scores of one video frame or audio chunk. */
export interface FrameScore {
  target: ScoreTarget;
  /** Index of the frame or chunk within its stream. */
  index: number;
  /** Start time, media seconds. */
  pts: number;
  /** Duration of the frame or chunk, seconds. */
  durationSec: number;
  /** Score per detector name, each in [0, 1]; 1 means "certainly defective". */
  scores: Record<string, number>;
  /** Optional raw measurements (e.g. `{ "black.ratio": 0.99 }`), numbers only. */
  detail?: Record<string, number>;
}

/** What a detector group returns for one {@link FrameBatch}. */
export interface DetectionBatch {
  streamId: string;
  /** The `seq` of the FrameBatch these scores belong to. */
  seq: number;
  /** Name of the detector group that produced the batch (e.g. `default`, `video`). */
  group: string;
  /** Detector names this group ran; a name listed here but absent from a score means "not applicable". */
  detectors: string[];
  scores: FrameScore[];
  /** True when the FrameBatch was final. */
  final: boolean;
}
