/**
 * The ffmpeg and ffprobe command lines, as pure functions so that a test can snapshot every code
 * path (RELIABILITY S5). Nothing here spawns anything.
 */
import type { ValidatedFileSource, ValidatedSrtSource, ValidatedUrlSource } from '@framewatch/source-rules';

/**
 * A stream Framewatch reads itself and writes to ffmpeg's stdin: the MPEG-TS segments of an HLS
 * playlist, every URL of which was checked against the input rules before it was fetched, or a
 * live UDP/SRT stream. ffmpeg gets `-f mpegts -i pipe:0` and the `pipe` protocol only, so it
 * opens nothing itself.
 */
export interface PipedInput {
  kind: 'pipe';
  format: 'mpegts';
  /** A live stream has no end: no `-t` cap, no wall-clock or idle limit on the decode. */
  live: boolean;
  /** How the source is named in messages and logs (origin and path of the playlist). */
  display: string;
}

/** What one ffmpeg or ffprobe run reads: a validated file or URL, or a stream on its stdin. */
export type FfmpegInput = ValidatedFileSource | ValidatedUrlSource | PipedInput;
import { FRAME_MARKER_FILTER } from './decoder-reports';
import { formatRational } from './timeline';
import type { Rational } from './timeline';

/**
 * Demuxers the converter lets ffmpeg pick. Ordinary audio/video containers and elementary
 * streams only: demuxers that open further URLs or files named inside the input (hls, dash,
 * concat, imf, sdp/rtsp, image2 patterns) are left out until their references are validated in
 * Node (RELIABILITY S2, S4), and so are oddities such as `tty`, which renders any `.txt` file as
 * video. Matching is per name, so `mov` admits the `mov,mp4,m4a,3gp,3g2,mj2` demuxer.
 */
export const DEFAULT_ALLOWED_FORMATS = [
  'mov',
  'matroska',
  'mpegts',
  'flv',
  'live_flv',
  'avi',
  'asf',
  'mxf',
  'gxf',
  'dv',
  'nut',
  'ogg',
  'mpeg',
  'mpegvideo',
  'm4v',
  'h264',
  'hevc',
  'ivf',
  'obu',
  'av1',
  'wtv',
  'wav',
  'w64',
  'aiff',
  'caf',
  'au',
  'mp3',
  'aac',
  'loas',
  'ac3',
  'eac3',
  'dts',
  'dtshd',
  'truehd',
  'mlp',
  'flac',
  'wv',
  'ape',
  'tta',
  'amr',
] as const;

/** The caps and settings every ffmpeg/ffprobe command line carries. */
export interface FfmpegLimits {
  /** Network read/write timeout (`-rw_timeout`), seconds. */
  ioTimeoutSec: number;
  /** Media seconds decoded at most (`-t` on every output). */
  maxDurationSec: number;
  /** Bytes read while probing the container (`-probesize`). */
  probeSizeBytes: number;
  /** Media seconds analysed while probing streams (`-analyzeduration`). */
  analyzeDurationSec: number;
  /** Demuxer names ffmpeg may use (`-format_whitelist`). */
  allowedFormats: readonly string[];
  /** CA bundle for https certificate verification; the system trust store when absent. */
  tlsCaFile?: string;
  /**
   * Decoder threads per decode (`-threads` on the input); 0 lets ffmpeg choose (one per core).
   * Threads buy wall time at a CPU cost (synchronisation), so a monitor running many streams at
   * once is cheapest with one thread each.
   */
  decodeThreads?: number;
}

/** The streams one decode run writes, with their output geometry. */
export interface DecodeArgsPlan {
  /** Luma output on stdout (fd 1), or null. */
  video: {
    /** Index of the input stream (ffprobe's `index`). */
    streamIndex: number;
    width: number;
    height: number;
    /** Output frame rate of the constant-frame-rate timeline. */
    fps: Rational;
    /**
     * True when the source pixel format is planar YUV/gray, where `extractplanes=y` hands the luma
     * plane over without a colour conversion; false for RGB or palette sources, which swscale
     * must convert to gray.
     */
    extractLuma: boolean;
    /** False skips H.264/HEVC in-loop deblocking (`-skip_loop_filter all`): cheaper, fine for reduced luma. */
    deblocked: boolean;
    /** True logs a marker per frame (FRAME_MARKER_FILTER, at `info`) to place the decoder's reports by. */
    decoderReports: boolean;
  } | null;
  /** PCM float32 output on fd 3, or null. */
  audio: { streamIndex: number; sampleRate: number; channels: number } | null;
}

/** File descriptors the decoder writes to: video on stdout, audio on an extra pipe. */
export const DECODE_FDS = { video: 1, audio: 3 } as const;

/** Protocols a source needs and nothing more: https needs `tls` and `tcp` under it in ffmpeg 5.1. */
export function protocolWhitelist(source: FfmpegInput): string {
  if (source.kind === 'file') return 'file';
  if (source.kind === 'pipe') return 'pipe';
  return source.protocol === 'https:' ? 'https,tls,tcp' : 'http,tcp';
}

/** Input options shared by probe and decode, ending with `-i <input>`. */
function inputArgs(source: FfmpegInput, limits: FfmpegLimits): string[] {
  const args = [
    '-protocol_whitelist',
    protocolWhitelist(source),
    '-format_whitelist',
    limits.allowedFormats.join(','),
    '-probesize',
    String(Math.round(limits.probeSizeBytes)),
    '-analyzeduration',
    // A live stream's first picture waits for the analysis: 1 s of it finds the streams of a
    // segment or of a second of UDP/SRT, where the file default (5 s) held back the first alerts
    // of every live analysis (and of every resumed one) by two 2 s segments.
    String(Math.round((source.kind === 'pipe' && source.live ? Math.min(1, limits.analyzeDurationSec) : limits.analyzeDurationSec) * 1e6)),
  ];
  if (source.kind === 'url') {
    args.push('-rw_timeout', String(Math.round(limits.ioTimeoutSec * 1e6)));
    if (source.protocol === 'https:') {
      // ffmpeg does not verify certificates unless asked to.
      args.push('-tls_verify', '1');
      if (limits.tlsCaFile !== undefined) args.push('-ca_file', limits.tlsCaFile);
    }
  }
  if (source.kind === 'pipe') {
    args.push('-f', source.format, '-i', 'pipe:0');
    return args;
  }
  args.push('-i', source.ffmpegInput);
  return args;
}

/**
 * ffprobe's argv for {@link MediaInfo}: JSON with only the fields the converter reads (tags and
 * side data can be large and are attacker-controlled). ffprobe has no `-nostdin`; it is spawned
 * with stdin closed instead. The log level is `warning`, one step above ffmpeg's, because the
 * "misdetection possible" warning is what tells a text file named `.mp4` from a truncated mp4.
 *
 * @example
 * spawn(ffprobePath, buildProbeArgs(source, limits), { stdio: ['ignore', 'pipe', 'pipe'] });
 */
export function buildProbeArgs(source: FfmpegInput, limits: FfmpegLimits): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-of',
    'json',
    '-show_entries',
    'format=format_name,duration:stream=index,codec_type,codec_name,width,height,pix_fmt,' +
      'avg_frame_rate,r_frame_rate,sample_rate,channels,sample_fmt:stream_disposition=attached_pic',
    ...inputArgs(source, limits),
  ];
}

/** ffprobe's argv listing the codecs it knows and whether it can decode them. */
export function buildCodecListArgs(): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-codecs'];
}

/**
 * ffmpeg's argv for one decode run: one process, one demux, video luma on fd 1 and float PCM on
 * fd 3, both on the same constant-rate timeline that starts at the input's start time.
 *
 * Video: `extractplanes=y` (no colour conversion) then `scale` with `fast_bilinear`; at source size
 * the scale is a pass-through that costs nothing measurable and pins the frame size, so a
 * mid-stream resolution change cannot desynchronise the byte stream. When the decoder's reports
 * are asked for, `showinfo` last logs one line per frame, by which the converter gives them to
 * frames (`DecoderReportLedger`). `-fps_mode cfr -r fps` duplicates or drops frames so that frame
 * `i` is at `i / fps`.
 *
 * Audio: `aresample=async=1:first_pts=0` pads a late start and fills gaps with silence so that
 * sample `n` is at `n / rate` on the same timeline as the video.
 *
 * Piped input (HLS, UDP, SRT) gets `-dts_delta_threshold 1`: a timestamp jump of more than 1 s is a
 * discontinuity and is closed up rather than filled (see the comment inside).
 *
 * @example
 * buildDecodeArgs(source, { video: { streamIndex: 0, width: 320, height: 180,
 *   fps: { num: 25, den: 1 }, extractLuma: true }, audio: null }, limits);
 */
export function buildDecodeArgs(source: FfmpegInput, plan: DecodeArgsPlan, limits: FfmpegLimits): string[] {
  const threads = limits.decodeThreads === undefined ? [] : ['-threads', String(Math.max(0, Math.round(limits.decodeThreads)))];
  const skipDeblock = plan.video !== null && !plan.video.deblocked ? ['-skip_loop_filter', 'all'] : [];
  // A stream Framewatch pipes in (HLS segments, UDP, SRT) can jump in time: segments that rolled
  // off before they were read, packets lost, an encoder restarted. Left alone, a jump shorter than
  // ffmpeg's 10 s default would be filled with repeated frames and padded silence (a false freeze
  // and silence); above 1 s the timeline is joined up instead, as a player does.
  const joinJumps = source.kind === 'pipe' ? ['-dts_delta_threshold', '1'] : [];
  // For the decoder's reports, the log runs at `info` for the per-frame markers of
  // FRAME_MARKER_FILTER (see DecoderReportLedger), with levels so that the converter keeps only
  // the error lines.
  const loglevel = plan.video?.decoderReports ? 'repeat+level+info' : 'repeat+level+error';
  const args = ['-nostdin', '-hide_banner', '-nostats', '-loglevel', loglevel, ...threads, ...skipDeblock, ...joinJumps, ...inputArgs(source, limits)];
  // A live stream runs until it is stopped: no media-time cap.
  const cap = source.kind === 'pipe' && source.live ? [] : ['-t', String(limits.maxDurationSec)];
  if (plan.video) {
    const { streamIndex, width, height, fps, extractLuma, decoderReports } = plan.video;
    const scale = `scale=${width}:${height}:flags=fast_bilinear`;
    const luma = extractLuma ? `extractplanes=y,${scale}` : `${scale},format=gray`;
    args.push(
      '-map',
      `0:${streamIndex}`,
      '-vf',
      decoderReports ? `${luma},${FRAME_MARKER_FILTER}` : luma,
      '-fps_mode',
      'cfr',
      '-r',
      formatRational(fps),
      '-pix_fmt',
      'gray',
      '-c:v',
      'rawvideo',
      ...cap,
      '-f',
      'rawvideo',
      `pipe:${DECODE_FDS.video}`,
    );
  }
  if (plan.audio) {
    const { streamIndex, sampleRate, channels } = plan.audio;
    args.push(
      '-map',
      `0:${streamIndex}`,
      '-af',
      `aresample=${sampleRate}:async=1:first_pts=0`,
      '-ac',
      String(channels),
      '-ar',
      String(sampleRate),
      '-c:a',
      'pcm_f32le',
      ...cap,
      '-f',
      'f32le',
      `pipe:${DECODE_FDS.audio}`,
    );
  }
  return args;
}

/**
 * The SRT reader's argv: an ffmpeg whose only job is to be the SRT caller Node cannot be. It
 * connects to the checked address (never the hostname), remuxes the MPEG-TS it receives without
 * decoding (`-c copy`) and writes it to stdout, which Framewatch pipes into the decoder. Only the
 * `srt` protocol is whitelisted (libsrt does its own UDP; ffmpeg's `udp` protocol is not used) and
 * only the `mpegts` demuxer. The mode is always `caller`. Options that may be secrets (stream id,
 * passphrase) are separate arguments, not part of the URL ffmpeg prints in its errors; they are
 * still visible in the process list of the host, like any argv (see `redactArgs` for logs).
 * `-rw_timeout` ends a connection whose peer vanished (libsrt alone would wait forever), so the
 * caller can reconnect.
 *
 * @example
 * buildSrtReaderArgs(srtSource, limits, 4);
 * // ['-nostdin', …, '-protocol_whitelist', 'srt', …, '-mode', 'caller', '-f', 'mpegts',
 * //  '-i', 'srt://192.0.2.10:9000', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-flush_packets', '1',
 * //  '-f', 'mpegts', 'pipe:1']
 */
export function buildSrtReaderArgs(source: ValidatedSrtSource, limits: FfmpegLimits, idleTimeoutSec: number): string[] {
  const { latencyUs, streamId, passphrase, pbkeylen } = source.options;
  const args = [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-protocol_whitelist',
    'srt',
    '-format_whitelist',
    'mpegts',
    '-probesize',
    String(Math.round(limits.probeSizeBytes)),
    // Only remuxing: 1 s of analysis is enough, and every (re)connection waits for it.
    '-analyzeduration',
    String(Math.round(Math.min(1, limits.analyzeDurationSec) * 1e6)),
    '-rw_timeout',
    String(Math.round(idleTimeoutSec * 1e6)),
    '-mode',
    'caller',
  ];
  if (latencyUs !== undefined) args.push('-latency', String(latencyUs));
  // `-streamid` is an ffmpeg output option; libsrt's alias `srt_streamid` reaches the protocol.
  if (streamId !== undefined) args.push('-srt_streamid', streamId);
  if (passphrase !== undefined) args.push('-passphrase', passphrase);
  if (pbkeylen !== undefined) args.push('-pbkeylen', String(pbkeylen));
  // Each packet is flushed to the pipe as it is muxed: a low-bitrate stream would otherwise sit
  // seconds in ffmpeg's 32 KiB output buffer and look stalled.
  args.push('-f', 'mpegts', '-i', source.ffmpegInput, '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-flush_packets', '1', '-f', 'mpegts', 'pipe:1');
  return args;
}

/** Arguments whose value is a secret, replaced by {@link redactArgs}. */
const secretArgs: ReadonlySet<string> = new Set(['-srt_streamid', '-passphrase']);

/**
 * An argv as it may be logged: values of secret options (SRT stream id, passphrase) replaced.
 *
 * @example
 * redactArgs(['-passphrase', 'hunter2hunter2', '-i', 'srt://192.0.2.10:9000']);
 * // ['-passphrase', '[redacted]', '-i', 'srt://192.0.2.10:9000']
 */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => (i > 0 && secretArgs.has(args[i - 1] as string) ? '[redacted]' : arg));
}
