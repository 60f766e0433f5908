import { SILENCE_FLOOR_DBFS, levelDbfs, scoreSilence } from './silence';
import { chunk, sine } from './spec-helpers';
import { defaultThresholds } from './thresholds';

const t = defaultThresholds.silence;

describe('silence', () => {
  it('reads a full-scale sine as −3 dBFS RMS and digital silence as the floor', () => {
    expect(levelDbfs(chunk(0, 1, sine(1, 1000)))).toBeCloseTo(-3.01, 2);
    expect(levelDbfs(chunk(0, 2, () => 0))).toBe(SILENCE_FLOOR_DBFS);
  });

  it('scores digital silence 1 and a −30 dBFS tone 0', () => {
    expect(scoreSilence(levelDbfs(chunk(0, 2, () => 0)), t)).toBe(1);
    expect(scoreSilence(levelDbfs(chunk(0, 2, sine(0.0447, 440))), t)).toBe(0);
  });

  it('scores 0.5 at exactly the threshold level, more below it and less above it', () => {
    const at = 10 ** (t.dbfs / 20);
    expect(scoreSilence(levelDbfs(chunk(0, 2, () => at)), t)).toBeCloseTo(0.5, 6);
    expect(scoreSilence(levelDbfs(chunk(0, 2, () => at * 0.9)), t)).toBeGreaterThan(0.5);
    expect(scoreSilence(levelDbfs(chunk(0, 2, () => at * 1.1)), t)).toBeLessThan(0.5);
  });

  it('does not call a chunk silent while one channel still carries sound', () => {
    const leftOnly = chunk(0, 2, (i, c) => (c === 0 ? sine(0.1, 440)(i) : 0));
    expect(scoreSilence(levelDbfs(leftOnly), t)).toBe(0);
  });

  it('does not call anti-phase stereo silent (a mono downmix would cancel it)', () => {
    const antiPhase = chunk(0, 2, (i, c) => (c === 0 ? 1 : -1) * sine(0.1, 440)(i));
    expect(levelDbfs(antiPhase)).toBeCloseTo(-23.0, 1);
  });
});
