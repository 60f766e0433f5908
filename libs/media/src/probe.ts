/**
 * Probing a validated source with ffprobe, and the limits checked on what it finds.
 */
import { FramewatchError, InputError, SourceTimeoutError } from '@framewatch/errors';
import type { MediaInfo } from '@framewatch/pipeline';
import { buildCodecListArgs, buildProbeArgs } from './args';
import { runCollected } from './child';
import { classifyFfmpegFailure } from './errors';
import type { ConverterSettings } from './settings';
import type { ValidatedFileSource, ValidatedUrlSource } from '@framewatch/source-rules';
import type { FfmpegInput, PipedInput } from './args';
import { parseRational, rationalValue } from './timeline';
import type { Rational } from './timeline';

/** The probe result plus what decode needs to address the chosen streams. */
export interface ProbedMedia {
  info: MediaInfo;
  video: { index: number; width: number; height: number; fps: Rational; pixFmt: string | null } | null;
  audio: { index: number; sampleRate: number; channels: number } | null;
}

/** The subset of ffprobe's JSON the converter reads. */
interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  sample_fmt?: string;
  disposition?: { attached_pic?: number };
}

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string };
  streams?: FfprobeStream[];
}

// ffprobe's JSON for a sane file is a few KiB; a hostile one with thousands of streams is not.
const maxProbeOutputBytes = 1024 * 1024;
const fallbackFps: Rational = { num: 25, den: 1 };

/** How long a probe of an unchanged local file is reused, and how many are kept. */
const fileProbeReuse = { ttlMs: 30_000, maxEntries: 32 } as const;

/**
 * Probes a source; a local file probed moments ago with the same size and mtime reuses that
 * result (the runner's probe and the decode's plan need the same facts). URLs are always probed.
 */
export function probeSource(settings: ConverterSettings, source: ValidatedFileSource | ValidatedUrlSource, signal?: AbortSignal): Promise<ProbedMedia> {
  if (source.kind !== 'file') return runProbe(settings, source, signal);
  const key = `${source.path}\0${source.sizeBytes}\0${source.mtimeMs}`;
  const now = performance.now();
  for (const [k, entry] of settings.recentFileProbes) {
    if (now - entry.at > fileProbeReuse.ttlMs) settings.recentFileProbes.delete(k);
  }
  const hit = settings.recentFileProbes.get(key);
  if (hit) return hit.probed;
  const probed = runProbe(settings, source, signal);
  // Only successes are reused: a failed or cancelled probe is tried again next time.
  probed.catch(() => settings.recentFileProbes.delete(key));
  if (settings.recentFileProbes.size >= fileProbeReuse.maxEntries) {
    const oldest = settings.recentFileProbes.keys().next().value;
    if (oldest !== undefined) settings.recentFileProbes.delete(oldest);
  }
  settings.recentFileProbes.set(key, { at: now, probed });
  return probed;
}

/**
 * Runs ffprobe on a validated source and checks the result against the converter's limits.
 *
 * @throws InputError INPUT_NOT_MEDIA / INPUT_TRUNCATED / INPUT_NOT_FOUND / INPUT_UNSUPPORTED,
 *   SourceTimeoutError, SourceRejectedError, CancelledError, or DECODE_FAILED (see
 *   {@link classifyFfmpegFailure}).
 */
async function runProbe(
  settings: ConverterSettings,
  source: FfmpegInput,
  signal?: AbortSignal,
  stdin?: Buffer,
): Promise<ProbedMedia> {
  const { exit, stdout, stderr } = await runCollected(settings.ffprobePath, buildProbeArgs(source, settings.limits), {
    deadlineMs: Math.min(settings.probeTimeoutSec, settings.maxWallSec) * 1000,
    onDeadline: () => new SourceTimeoutError(`probing ${source.display} took longer than ${settings.probeTimeoutSec} s`),
    signal,
    maxStdoutBytes: maxProbeOutputBytes,
    stdin,
  });
  if (exit.code !== 0) {
    const err = classifyFfmpegFailure(stderr, { display: source.display, ffmpegInput: source.kind === 'pipe' ? 'pipe:0' : source.ffmpegInput }, 'probe');
    settings.logger?.debug({ source: source.display, code: err.code, stderr: String(err.cause) }, 'probe failed');
    throw err;
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch (cause) {
    throw new FramewatchError('DECODE_FAILED', `ffprobe returned unreadable output for ${source.display}`, { cause });
  }
  return checkProbe(parsed, source.display, settings);
}

/**
 * Probes the first segment of an HLS stream, piped to ffprobe's stdin. The result describes the
 * playlist: `formatName` `hls`, and no duration (a live stream has none; for a VOD playlist the
 * total is not known from one segment).
 */
export async function probeSegment(settings: ConverterSettings, input: PipedInput, segment: Buffer, signal?: AbortSignal): Promise<ProbedMedia> {
  const probed = await runProbe(settings, input, signal, segment);
  return { ...probed, info: { ...probed.info, formatName: 'hls', durationSec: null } };
}

/**
 * Probes the first bytes received from a live UDP or SRT stream, piped to ffprobe's stdin. The
 * result has `formatName` `mpegts` and no duration: the stream has no end.
 */
export async function probeLiveBytes(settings: ConverterSettings, input: PipedInput, head: Buffer, signal?: AbortSignal): Promise<ProbedMedia> {
  const probed = await runProbe(settings, input, signal, head);
  return { ...probed, info: { ...probed.info, formatName: 'mpegts', durationSec: null } };
}

async function checkProbe(parsed: FfprobeOutput, display: string, settings: ConverterSettings): Promise<ProbedMedia> {
  const streams = parsed.streams ?? [];
  // Cover art in an mp3 or m4a is a one-frame "video" stream; it is not video to monitor.
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  if (!videoStream && !audioStream) {
    throw new InputError('INPUT_UNSUPPORTED', `${display} has no audio or video stream`);
  }

  let video: ProbedMedia['video'] = null;
  if (videoStream) {
    await requireDecodable(videoStream, videoStream.pix_fmt, display, settings);
    const width = videoStream.width ?? 0;
    const height = videoStream.height ?? 0;
    if (width <= 0 || height <= 0) {
      throw new InputError('INPUT_UNSUPPORTED', `${display} has a video stream without a frame size`);
    }
    if (width * height > settings.maxFramePixels) {
      throw new InputError(
        'INPUT_UNSUPPORTED',
        `${display} has ${width}×${height} frames, more than the limit of ${settings.maxFramePixels} pixels`,
        { detail: { limit: 'maxFramePixels', width, height } },
      );
    }
    // avg_frame_rate is the stream's real cadence; r_frame_rate is ffmpeg's guess of the base
    // rate and overshoots on variable-rate streams.
    const fps = parseRational(videoStream.avg_frame_rate) ?? parseRational(videoStream.r_frame_rate) ?? fallbackFps;
    video = { index: videoStream.index ?? 0, width, height, fps, pixFmt: videoStream.pix_fmt ?? null };
  }

  let audio: ProbedMedia['audio'] = null;
  if (audioStream) {
    await requireDecodable(audioStream, audioStream.sample_fmt, display, settings);
    const sampleRate = Number(audioStream.sample_rate ?? 0);
    const channels = audioStream.channels ?? 0;
    if (!(sampleRate > 0) || !(channels > 0)) {
      throw new InputError('INPUT_UNSUPPORTED', `${display} has an audio stream without a sample rate or channels`);
    }
    audio = { index: audioStream.index ?? 0, sampleRate, channels };
  }

  const duration = Number(parsed.format?.duration);
  const durationSec = Number.isFinite(duration) && duration >= 0 ? duration : null;
  if (durationSec !== null && durationSec > settings.maxDurationSec) {
    throw new InputError(
      'INPUT_UNSUPPORTED',
      `${display} lasts ${Math.round(durationSec)} s, more than the limit of ${settings.maxDurationSec} s`,
      { detail: { limit: 'maxDurationSec', durationSec } },
    );
  }

  return {
    info: {
      durationSec,
      formatName: parsed.format?.format_name ?? 'unknown',
      video: video && {
        codec: videoStream?.codec_name ?? 'unknown',
        width: video.width,
        height: video.height,
        fps: rationalValue(video.fps),
      },
      audio: audio && { codec: audioStream?.codec_name ?? 'unknown', sampleRate: audio.sampleRate, channels: audio.channels },
    },
    video,
    audio,
  };
}

/**
 * ffprobe leaves the pixel/sample format empty when it could not open a decoder, but also when
 * the probe window held no decodable frame (a live stream joined mid-GOP). Only in that case is
 * the codec list consulted, so the common path costs no extra process.
 */
async function requireDecodable(
  stream: FfprobeStream,
  decodedFormat: string | undefined,
  display: string,
  settings: ConverterSettings,
): Promise<void> {
  const codec = stream.codec_name;
  if (codec === undefined || codec === 'none' || codec === 'unknown') {
    throw new InputError('INPUT_UNSUPPORTED', `${display} has a ${stream.codec_type} stream in an unknown codec`);
  }
  if (decodedFormat !== undefined && decodedFormat !== 'unknown') return;
  const decodable = await settings.decodableCodecs();
  if (!decodable.has(codec)) {
    throw new InputError('INPUT_UNSUPPORTED', `${display} uses the ${codec} codec, which this ffmpeg cannot decode`, {
      detail: { codec },
    });
  }
}

/**
 * Lists the codec names the given ffprobe can decode (`-codecs`, "D" in the first flag column).
 */
export async function listDecodableCodecs(ffprobePath: string): Promise<ReadonlySet<string>> {
  const { exit, stdout } = await runCollected(ffprobePath, buildCodecListArgs(), {
    deadlineMs: 10_000,
    onDeadline: () => new FramewatchError('INTERNAL', 'listing ffprobe codecs timed out'),
    maxStdoutBytes: maxProbeOutputBytes,
  });
  if (exit.code !== 0) throw new FramewatchError('INTERNAL', 'ffprobe -codecs failed');
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const match = /^ D[.E][VASDT.][.I][.L][.S] (\S+)/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}
