/**
 * The component contracts of DESIGN.md "Components are contracts". Each component is an
 * interface with plain-data, async methods; a factory in a feature lib implements it, and an
 * app decides whether a caller holds the implementation itself (in-process) or a remote binding.
 * Implementations never know which.
 */
import type { DetectionBatch, FrameBatch } from '@framewatch/frame-codec';

/** Defect types reported in DefectEvents (DESIGN.md "Data model"). */
export const DefectType = {
  black: 'black',
  freeze: 'freeze',
  silence: 'silence',
  clipping: 'clipping',
  macroblocking: 'macroblocking',
  loudness: 'loudness',
  signalLoss: 'signal_loss',
} as const;

/** One of the {@link DefectType} values. */
export type DefectType = (typeof DefectType)[keyof typeof DefectType];

/** A defect found in the media, in media seconds from the first frame. */
export interface DefectEvent {
  type: DefectType;
  startSec: number;
  /** End of the defect; for an event still open, the time of the last defective unit seen. */
  endSec: number;
  /** Mean score over the defect's frames, in [0, 1]. */
  confidence: number;
  detail: Record<string, number | string>;
}

/** Where the media comes from. `url` may be a local path (CLI) or an http(s) URL. */
export interface SourceRef {
  /** A local file path or an `http(s)://` URL. */
  url: string;
}

/** What the probe found in a source. */
export interface MediaInfo {
  /** Container duration in seconds, or null when unknown (live). */
  durationSec: number | null;
  formatName: string;
  video: { codec: string; width: number; height: number; fps: number } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

/** Luma a detector asks for. */
export interface VideoNeed {
  /** Plane size; `0×0` asks for the source's full resolution, since moving full-size planes costs CPU. */
  width: number;
  height: number;
  /**
   * Needs the decoder's in-loop deblocking filter applied (pictures exactly as a viewer sees
   * them). Detectors that look at a reduced picture do not: averaging down to it smooths block
   * edges far more than deblocking does, and skipping the filter saves about 12% of H.264 decode
   * CPU. Full-resolution needs always get it.
   */
  deblocked?: boolean;
  /**
   * Needs the decoder's error reports on the frames (`VideoFrame.decodeErrors`). They cost ffmpeg
   * a log line per frame to place them by (see the media converter's `DecoderReportLedger`), so
   * only a detector that uses them asks.
   */
  decoderReports?: boolean;
}

/** What a detector needs decoded: luma (video) and/or PCM audio. */
export interface MediaNeeds {
  video: VideoNeed | null;
  audio: { sampleRate: number; channels: number } | null;
}

/** The decode the converter performs: the union of every active detector's needs. */
export interface DecodeSpec {
  /** Luma plane size (0×0 means the source's own size) and whether it must be deblocked. */
  video: VideoNeed | null;
  audio: { sampleRate: number; channels: number } | null;
  /** Video frames (and audio chunks) per FrameBatch. */
  framesPerBatch: number;
}

/** Options of one decode run. */
export interface DecodeOptions {
  streamId: string;
  signal?: AbortSignal;
  /**
   * What the source itself reports while it is read (for an HLS playlist: each playlist and
   * segment fetched, stalls and their end, retries). In-process only: the runner and the
   * converter always share a process.
   */
  onSourceEvent?: (event: SourceEvent) => void;
}

/** A source-level event (see `DecodeOptions.onSourceEvent`); `type` tells which. */
export interface SourceEvent {
  type: string;
  [key: string]: unknown;
}

/**
 * Decodes a source into FrameBatches. Implemented by `@framewatch/media`.
 * `probe` is idempotent; `decode` starts a decoder process and is not.
 */
export interface MediaConverter {
  probe(source: SourceRef, signal?: AbortSignal): Promise<MediaInfo>;
  decode(source: SourceRef, spec: DecodeSpec, options: DecodeOptions): AsyncIterable<FrameBatch>;
}

/** Name and needs of one detector algorithm inside a detector component. */
export interface DetectorInfo {
  name: string;
  /** The defect type its scores become. */
  defect: DefectType;
  needs: MediaNeeds;
}

/**
 * Scores FrameBatches. Implemented by `@framewatch/detectors`. A component runs a group of
 * detector algorithms (all, or a subset such as `black,freeze`) and keeps per-stream state (the
 * previous frame for freeze), released by `release`. Batches of one stream arrive in `seq` order.
 */
export interface Detector {
  /** The detector group's name and its algorithms. Idempotent. */
  describe(): Promise<{ group: string; detectors: DetectorInfo[] }>;
  /** Scores one batch. Not idempotent (advances per-stream state). */
  detect(batch: FrameBatch): Promise<DetectionBatch>;
  /** Drops per-stream state. Idempotent. */
  release(streamId: string): Promise<void>;
}

/** Throughput and timing figures of an analysis. */
export interface AnalysisStats {
  videoFrames: number;
  audioChunks: number;
  wallSec: number;
  /** Media seconds analysed per wall-clock second. */
  speed: number;
  /** Live sources only: whether the analysis ever fell more than its limit behind real time… */
  degraded?: boolean;
  /** …and the most it fell behind, seconds (relative to its best)… */
  maxBehindSec?: number;
  /** …and how many live segments rolled off before they could be read. */
  skippedSegments?: number;
  /** Live sources only: how many times the analysis was resumed after its worker was lost… */
  resumes?: number;
  /** …and the wall-clock seconds nobody watched the source meanwhile (the timeline skips them). */
  unmonitoredSec?: number;
}

/**
 * The state of a live analysis still running, stored with its report (status `running`) so that
 * nothing already alerted is lost if its worker dies, and so that the job resumes on the same
 * timeline. The report's `defects` hold the events closed so far.
 */
export interface AnalysisCheckpoint {
  /** When it was taken, ISO 8601 (UTC). */
  savedAt: string;
  /** Position on the analysis timeline (media seconds from the first frame of the first attempt). */
  mediaSec: number;
  /** Events open when it was taken (their alerts went out), each ending at its last defective unit. */
  open: DefectEvent[];
}

/** Terminal states of an analysis. */
export const AnalysisStatus = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

/** One of the {@link AnalysisStatus} values. */
export type AnalysisStatus = (typeof AnalysisStatus)[keyof typeof AnalysisStatus];

/** Report schema v1 (DESIGN.md "Report schema v1"). */
export interface AnalysisResult {
  schemaVersion: 1;
  id: string;
  source: string;
  status: AnalysisStatus;
  media: {
    durationSec: number | null;
    video: { codec: string; width: number; height: number; fps: number } | null;
    audio: { codec: string; sampleRate: number; channels: number } | null;
  };
  stats: AnalysisStats;
  defects: DefectEvent[];
  /** Present when status is `failed`. */
  error?: { code: string; message: string };
  /** Present while a live analysis is `running` (its latest checkpoint), absent once it ended. */
  checkpoint?: AnalysisCheckpoint;
}

/** Receives defect events while an analysis runs. */
export interface DefectListener {
  onDefectOpened?(streamId: string, event: DefectEvent): void;
  onDefectClosed?(streamId: string, event: DefectEvent): void;
}

/** Describes the stream an aggregator is about to receive. */
export interface StreamStart {
  streamId: string;
  source: string;
  media: MediaInfo;
  /** Defect types whose scores will arrive, and the detector names that produce them. */
  detectors: DetectorInfo[];
  /**
   * Continues an earlier attempt of the stream (a live job resumed after its worker died): its
   * closed events are kept, and each of its open events continues, without a second "opened",
   * if the first scores of its detector still show the defect, or closes at its last known end.
   * Scores must then carry times on the earlier attempt's timeline.
   */
  resume?: StreamSnapshot;
}

/** An aggregator's events of one stream while it runs: what a checkpoint stores. */
export interface StreamSnapshot {
  /** Closed events, in the order they closed. */
  closed: DefectEvent[];
  /** Events open now, each ending at its last defective unit so far. */
  open: DefectEvent[];
}

/**
 * Turns per-frame scores into DefectEvents with hysteresis and minimum durations, raising
 * opened/closed callbacks as it goes. Implemented in this lib by `createAggregator`.
 */
export interface Aggregator {
  /** Starts a stream, dropping any state left from an earlier attempt of the same streamId. Idempotent before the first ingest. */
  start(stream: StreamStart): Promise<void>;
  /** Adds one detection batch. Batches of one group arrive in seq order; groups interleave. */
  ingest(batch: DetectionBatch): Promise<void>;
  /**
   * The stream's events so far, without changing anything: its closed events from the
   * `fromClosed`-th on (callers that keep the earlier ones ask only for new ones), every open one,
   * and how many have closed in all. Idempotent.
   */
  snapshot(streamId: string, fromClosed?: number): Promise<StreamSnapshot & { closedCount: number }>;
  /** Closes every open event and returns the stream's defects, ordered by start time. */
  finish(streamId: string): Promise<DefectEvent[]>;
}
