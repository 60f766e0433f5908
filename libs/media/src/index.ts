// Public API of media: the ffmpeg-backed MediaConverter (files, http(s), HLS, UDP, SRT) and the
// pure argv builders that tests snapshot (RELIABILITY S5). The input rules it applies before any
// process starts live in @framewatch/source-rules, which the API uses too.
export { createMediaConverter, MEDIA_CONVERTER_DEFAULTS } from './converter';
export type { MediaConverterOptions } from './converter';
export { mediaOptionsFromConfig } from './from-config';
export { buildDecodeArgs, buildProbeArgs, buildSrtReaderArgs, protocolWhitelist, redactArgs, DEFAULT_ALLOWED_FORMATS, DECODE_FDS } from './args';
export type { FfmpegInput, PipedInput } from './args';
export type { DecodeArgsPlan, FfmpegLimits } from './args';
export { classifyFfmpegFailure } from './errors';
export { isDecoderReport } from './decoder-reports';
export type { FailurePhase } from './errors';
export type { MediaLogger } from './settings';
export type { Rational } from './timeline';
export { parsePlaylist, readHls } from './hls';
export type { HlsEvent, HlsReaderOptions, ParsedPlaylist } from './hls';
export type { LiveEvent } from './live-queue';
