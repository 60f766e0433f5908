// Public API of media: the ffmpeg-backed MediaConverter, the input rules it applies before any
// process starts, and the pure argv builders that tests snapshot (RELIABILITY S5).
export { createMediaConverter, MEDIA_CONVERTER_DEFAULTS } from './converter';
export type { MediaConverterOptions } from './converter';
export { mediaOptionsFromConfig } from './from-config';
export { validateSource, classifyAddress } from '@framewatch/source-rules';
export type {
  AddressClass,
  LookupAddress,
  LookupFunction,
  SourceRules,
  ValidatedFileSource,
  ValidatedSource,
  ValidatedUrlSource,
} from '@framewatch/source-rules';
export { buildDecodeArgs, buildProbeArgs, protocolWhitelist, DEFAULT_ALLOWED_FORMATS, DECODE_FDS } from './args';
export type { DecodeArgsPlan, FfmpegLimits } from './args';
export { classifyFfmpegFailure } from './errors';
export type { FailurePhase } from './errors';
export type { MediaLogger } from './settings';
export type { Rational } from './timeline';
