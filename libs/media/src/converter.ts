/**
 * `createMediaConverter`: the `MediaConverter` contract of `@framewatch/pipeline` implemented
 * with ffmpeg/ffprobe child processes.
 */
import { ConfigError } from '@framewatch/errors';
import type { FrameBatch } from '@framewatch/frame-codec';
import type { DecodeOptions, DecodeSpec, MediaConverter, MediaInfo, SourceRef } from '@framewatch/pipeline';
import { DEFAULT_ALLOWED_FORMATS } from './args';
import { decodeSource, isHlsSource, probeHls, sourceRules } from './decode';
import { ParkedLiveSources, probeLive } from './live';
import { listDecodableCodecs, probeSource } from './probe';
import type { ConverterSettings, MediaLogger } from './settings';
import { validateSource } from '@framewatch/source-rules';
import type { LookupFunction } from '@framewatch/source-rules';

/** Options of {@link createMediaConverter}. Every field has a safe default. */
export interface MediaConverterOptions {
  /** ffmpeg binary; looked up on PATH (no shell) when not absolute. Default `ffmpeg`. */
  ffmpegPath?: string;
  /** ffprobe binary. Default `ffprobe`. */
  ffprobePath?: string;
  /** Accept local file paths (the CLI sets true; the HTTP API must not). Default false. */
  allowLocalFiles?: boolean;
  /** Accept URLs on loopback, private, link-local, CGNAT and other internal addresses. Default false. */
  allowPrivateSources?: boolean;
  /**
   * Accept `udp://` sources, for which the converter binds a port on this machine (the CLI sets
   * true; the API's workers only where the deployment allows it). Default false.
   */
  allowUdpSources?: boolean;
  /**
   * Seconds without a byte from a live UDP or SRT source before it is reported `stalled` (a
   * `signal_loss` defect); an SRT connection silent for twice as long is dropped and called
   * again. Default 2.
   */
  liveStallSec?: number;
  /**
   * Seconds without progress before a source is declared stalled (SOURCE_TIMEOUT): ffmpeg's
   * `-rw_timeout` for network reads, and a Node-side watchdog on decoded output. Default 15.
   */
  ioTimeoutSec?: number;
  /** Wall-clock cap of one decode, probe included (SOURCE_TIMEOUT). Default 6 h. */
  maxWallSec?: number;
  /** Wall-clock cap of one probe (SOURCE_TIMEOUT). Default 30. */
  probeTimeoutSec?: number;
  /** Longest media accepted (INPUT_UNSUPPORTED), and the most decoded from a live source. Default 6 h. */
  maxDurationSec?: number;
  /** Largest frame accepted, width × height (INPUT_UNSUPPORTED). Default 4096 × 2304. */
  maxFramePixels?: number;
  /** ffmpeg demuxers allowed (`-format_whitelist`). Default {@link DEFAULT_ALLOWED_FORMATS}. */
  allowedFormats?: readonly string[];
  /** CA bundle for verifying https sources; the system trust store when absent. */
  tlsCaFile?: string;
  /**
   * Decoder threads per decode; 0 = ffmpeg's choice (one per core). Default 1: a monitor runs
   * many streams side by side, and one thread per stream spends the least CPU per stream.
   */
  decodeThreads?: number;
  /** Receives warnings (partial decodes, dropped units) and debug lines. */
  logger?: MediaLogger;
  /** DNS lookup used to check URL destinations; the system resolver by default. */
  lookup?: LookupFunction;
}

/** Defaults of {@link MediaConverterOptions}. */
export const MEDIA_CONVERTER_DEFAULTS = {
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  allowLocalFiles: false,
  allowPrivateSources: false,
  allowUdpSources: false,
  liveStallSec: 2,
  ioTimeoutSec: 15,
  maxWallSec: 6 * 3600,
  probeTimeoutSec: 30,
  maxDurationSec: 6 * 3600,
  maxFramePixels: 4096 * 2304,
  decodeThreads: 1,
  /** Bytes read while detecting the container (ffmpeg's own default, made explicit). */
  probeSizeBytes: 5_000_000,
  /** Media seconds analysed while detecting stream parameters. */
  analyzeDurationSec: 5,
} as const;

/**
 * Creates the media converter: `probe` describes a source, `decode` turns it into FrameBatches of
 * luma planes and float PCM. Sources are validated before any process starts (see
 * {@link validateSource}); each decode runs one ffmpeg process that is always reaped.
 *
 * @throws ConfigError when an option is out of range.
 *
 * @example
 * const converter = createMediaConverter({ allowLocalFiles: true, ffmpegPath: '/usr/bin/ffmpeg',
 *   ffprobePath: '/usr/bin/ffprobe' });
 * const info = await converter.probe({ url: 'clip.mp4' });
 * for await (const batch of converter.decode({ url: 'clip.mp4' },
 *   { video: { width: 320, height: 180 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 25 },
 *   { streamId: 'an-1' })) {
 *   console.log(batch.seq, batch.video.length, batch.audio.length, batch.final);
 * }
 */
export function createMediaConverter(options: MediaConverterOptions = {}): MediaConverter {
  const settings = resolveSettings(options);
  return {
    async probe(source: SourceRef, signal?: AbortSignal): Promise<MediaInfo> {
      const validated = await validateSource(source, sourceRules(settings));
      if (validated.kind === 'udp' || validated.kind === 'srt') return (await probeLive(settings, source.url, validated, signal)).info;
      if (isHlsSource(validated)) return (await probeHls(settings, validated, signal)).info;
      return (await probeSource(settings, validated, signal)).info;
    },
    decode(source: SourceRef, spec: DecodeSpec, decodeOptions: DecodeOptions): AsyncIterable<FrameBatch> {
      return decodeSource(settings, source, spec, decodeOptions);
    },
  };
}

function resolveSettings(options: MediaConverterOptions): ConverterSettings {
  const d = MEDIA_CONVERTER_DEFAULTS;
  const positive = (name: keyof MediaConverterOptions, value: number): number => {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new ConfigError(`media converter option ${name} must be a positive number, got ${String(value)}`);
    }
    return value;
  };
  const ffprobePath = options.ffprobePath ?? d.ffprobePath;
  const ioTimeoutSec = positive('ioTimeoutSec', options.ioTimeoutSec ?? d.ioTimeoutSec);
  const maxDurationSec = positive('maxDurationSec', options.maxDurationSec ?? d.maxDurationSec);
  const allowedFormats = options.allowedFormats ?? DEFAULT_ALLOWED_FORMATS;
  if (allowedFormats.length === 0 || allowedFormats.some((f) => !/^[a-z0-9_]+$/.test(f))) {
    throw new ConfigError('media converter option allowedFormats must list ffmpeg demuxer names');
  }
  // Listed at most once per converter, and only when a probe leaves a stream's format unknown.
  let codecs: Promise<ReadonlySet<string>> | undefined;
  return {
    ffmpegPath: options.ffmpegPath ?? d.ffmpegPath,
    ffprobePath,
    allowLocalFiles: options.allowLocalFiles ?? d.allowLocalFiles,
    allowPrivateSources: options.allowPrivateSources ?? d.allowPrivateSources,
    allowUdpSources: options.allowUdpSources ?? d.allowUdpSources,
    liveStallSec: positive('liveStallSec', options.liveStallSec ?? d.liveStallSec),
    ioTimeoutSec,
    maxWallSec: positive('maxWallSec', options.maxWallSec ?? d.maxWallSec),
    probeTimeoutSec: positive('probeTimeoutSec', options.probeTimeoutSec ?? d.probeTimeoutSec),
    maxDurationSec,
    maxFramePixels: positive('maxFramePixels', options.maxFramePixels ?? d.maxFramePixels),
    limits: {
      ioTimeoutSec,
      maxDurationSec,
      probeSizeBytes: d.probeSizeBytes,
      analyzeDurationSec: d.analyzeDurationSec,
      allowedFormats,
      tlsCaFile: options.tlsCaFile,
      decodeThreads: options.decodeThreads ?? d.decodeThreads,
    },
    logger: options.logger,
    lookup: options.lookup,
    recentFileProbes: new Map(),
    parkedLive: new ParkedLiveSources(),
    decodableCodecs: () => {
      codecs ??= listDecodableCodecs(ffprobePath).catch((err: unknown) => {
        codecs = undefined;
        throw err;
      });
      return codecs;
    },
  };
}
