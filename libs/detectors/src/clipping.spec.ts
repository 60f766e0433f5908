import { measureClipping, scoreClipping } from './clipping';
import { chunk, sine } from './spec-helpers';
import { defaultThresholds } from './thresholds';

const t = defaultThresholds.clipping;
const measure = (c: ReturnType<typeof chunk>): number => scoreClipping(measureClipping(c, t.level, t.minRun).share, t);
const hardClip = (x: number): number => Math.max(-1, Math.min(1, x));

describe('clipping', () => {
  it('scores a hard-clipped sine 1 and the same sine at a safe level 0', () => {
    expect(measure(chunk(0, 2, (i) => hardClip(sine(2, 440)(i))))).toBe(1);
    expect(measure(chunk(0, 2, sine(0.5, 440)))).toBe(0);
  });

  it('keeps clean audio peaking just under −1 dBFS at 0', () => {
    expect(measure(chunk(0, 2, sine(0.88, 440)))).toBe(0);
    expect(measure(chunk(0, 2, sine(0.88, 60)))).toBe(0);
  });

  it('finds clipping confined to one channel of a stereo pair', () => {
    const rightClipped = chunk(0, 2, (i, c) => (c === 1 ? hardClip(sine(2, 440)(i)) : sine(0.3, 440)(i)));
    expect(measure(rightClipped)).toBe(1);
  });

  it('scores 0.5 when exactly the threshold share of samples sits in flat tops', () => {
    // 2000 frames: 2 % is 40 samples, here 20 runs of 2 at full scale.
    const frames = 2000;
    const flat = frames * t.share;
    const at = chunk(0, 1, (i) => (i % 100 < 2 && i < 50 * flat ? 1 : 0.2), frames);
    const m = measureClipping(at, t.level, t.minRun);
    expect(m.share).toBeCloseTo(t.share, 12);
    expect(scoreClipping(m.share, t)).toBeCloseTo(0.5, 9);
    const above = chunk(0, 1, (i) => (i % 100 < 3 && i < 50 * flat ? 1 : 0.2), frames);
    expect(measure(above)).toBeGreaterThan(0.5);
  });

  it('ignores lone full-scale samples, which are peaks rather than flat tops', () => {
    const spikes = chunk(0, 2, (i) => (i % 10 === 0 ? 1 : 0.1));
    const m = measureClipping(spikes, t.level, t.minRun);
    expect(m.peak).toBe(1);
    expect(m.share).toBe(0);
  });

  it('counts values over full scale, as AAC decoding of clipped audio produces', () => {
    const ringing = chunk(0, 1, (i) => (i % 8 < 4 ? 1.06 - 0.05 * (i % 2) : -0.3));
    expect(measureClipping(ringing, t.level, t.minRun).peak).toBeCloseTo(1.06, 5);
    expect(measure(ringing)).toBe(1);
  });
});
