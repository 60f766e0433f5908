import type { AudioChunk } from '@framewatch/frame-codec';
import { ramp } from './score-curve';
import type { SilenceThresholds } from './thresholds';

/** Level reported for a chunk of digital silence, so that detail values stay finite (JSON has no −∞). */
export const SILENCE_FLOOR_DBFS = -120;

/**
 * RMS level of a chunk's loudest channel in dBFS (20·log10 of the RMS, as ffmpeg astats reports
 * it: a full-scale sine reads −3 dBFS). The loudest channel rather than a downmix: a stream is
 * silent only when every channel is, and a downmix of anti-phase channels would cancel to
 * silence when neither channel is silent.
 */
export function levelDbfs(chunk: AudioChunk): number {
  const { samples, channels } = chunk;
  const frames = Math.floor(samples.length / channels);
  if (frames === 0) return SILENCE_FLOOR_DBFS;
  let loudest = 0;
  for (let c = 0; c < channels; c++) {
    let power = 0;
    for (let i = c; i < samples.length; i += channels) {
      const x = samples[i];
      power += x * x;
    }
    if (power > loudest) loudest = power;
  }
  const rms = Math.sqrt(loudest / frames);
  return rms > 0 ? Math.max(SILENCE_FLOOR_DBFS, 20 * Math.log10(rms)) : SILENCE_FLOOR_DBFS;
}

/** Scores a chunk's level: 0.5 at `t.dbfs`, 1 at 10 dB below it, 0 at 10 dB above it. */
export function scoreSilence(dbfs: number, t: SilenceThresholds): number {
  return ramp(dbfs, t.dbfs + 10, t.dbfs, t.dbfs - 10);
}
