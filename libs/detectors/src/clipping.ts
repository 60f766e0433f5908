import type { AudioChunk } from '@framewatch/frame-codec';
import { ramp } from './score-curve';
import type { ClippingThresholds } from './thresholds';

/** What the clipping detector measured in one chunk. */
export interface ClippingMeasure {
  /** Share of samples inside flat tops, in the worst channel. */
  share: number;
  /** Largest absolute sample value in any channel (AAC-decoded clipping can exceed 1.0). */
  peak: number;
}

/**
 * Measures flat tops per channel: runs of at least `minRun` consecutive samples whose absolute
 * value is at least `level`. Each channel is measured on its own because a downmix can hide one
 * clipped channel (the other channel, quieter or out of phase, pulls the sum below full scale).
 */
export function measureClipping(chunk: AudioChunk, level: number, minRun: number): ClippingMeasure {
  const { samples, channels } = chunk;
  const frames = Math.floor(samples.length / channels);
  if (frames === 0) return { share: 0, peak: 0 };
  let worst = 0;
  let peak = 0;
  for (let c = 0; c < channels; c++) {
    let inRuns = 0;
    let run = 0;
    for (let i = c; i < samples.length; i += channels) {
      const x = samples[i];
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      if (a >= level) {
        run++;
      } else {
        if (run >= minRun) inRuns += run;
        run = 0;
      }
    }
    if (run >= minRun) inRuns += run;
    if (inRuns > worst) worst = inRuns;
  }
  return { share: worst / frames, peak };
}

/** Scores a chunk's flat-top share: 0 at none, 0.5 at `t.share`, 1 at five times `t.share`. */
export function scoreClipping(share: number, t: ClippingThresholds): number {
  return ramp(share, 0, t.share, 5 * t.share);
}
