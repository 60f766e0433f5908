/**
 * The resolved settings one converter instance shares between probe and decode.
 */
import type { Logger } from '@framewatch/observability';
import type { FfmpegLimits } from './args';
import type { ParkedLiveSources } from './live';
import type { ProbedMedia } from './probe';
import type { LookupFunction } from '@framewatch/source-rules';

/** The logger calls the converter makes; a pino logger from `createLogger` fits. */
export type MediaLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

/** Every option of the converter with its default applied. */
export interface ConverterSettings {
  ffmpegPath: string;
  ffprobePath: string;
  allowLocalFiles: boolean;
  allowPrivateSources: boolean;
  allowUdpSources: boolean;
  /** Seconds without a byte from a UDP or SRT source before it is reported `stalled`. */
  liveStallSec: number;
  ioTimeoutSec: number;
  maxWallSec: number;
  probeTimeoutSec: number;
  maxDurationSec: number;
  maxFramePixels: number;
  limits: FfmpegLimits;
  logger?: MediaLogger;
  lookup?: LookupFunction;
  /**
   * Recent probes of local files by path, size and mtime: the runner probes, then decode needs the
   * same facts, and a second ffprobe of an unchanged file would only cost CPU.
   */
  recentFileProbes: Map<string, { at: number; probed: Promise<ProbedMedia> }>;
  /** Live UDP/SRT sources the probe left open for the decode that follows (see `./live`). */
  parkedLive: ParkedLiveSources;
  /** Codec names this ffprobe can decode, listed once per converter and cached. */
  decodableCodecs: () => Promise<ReadonlySet<string>>;
}
