export { PixelFormat, ScoreTarget } from './types';
export type { AudioChunk, DetectionBatch, FrameBatch, FrameScore, VideoFrame } from './types';
export {
  CODEC_HEADER_BYTES,
  CODEC_MAGIC,
  CODEC_OLDEST_READ_VERSION,
  CODEC_VERSION,
  CodecLimits,
  MessageKind,
  peekMessageHeader,
  peekMessageKind,
} from './format';
export type { EncodeOptions, MessageHeader } from './format';
export { decodeFrameBatch, encodeFrameBatch } from './frame-batch';
export { decodeDetectionBatch, encodeDetectionBatch } from './detection-batch';
export { measureCodecThroughput } from './throughput';
export type { FormatThroughput, ThroughputOptions, ThroughputReport } from './throughput';
