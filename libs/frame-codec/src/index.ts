export { PixelFormat, ScoreTarget } from './types';
export type { AudioChunk, DetectionBatch, FrameBatch, FrameScore, VideoFrame } from './types';
