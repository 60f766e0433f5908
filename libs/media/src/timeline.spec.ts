import { parseRational, unitStartSample, unitTime } from './timeline';

describe('parseRational', () => {
  it('reads ffprobe rates and refuses 0/0 and nonsense', () => {
    expect(parseRational('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(parseRational('25')).toEqual({ num: 25, den: 1 });
    expect(parseRational('0/0')).toBeNull();
    expect(parseRational('90000/1')).toBeNull();
    expect(parseRational('abc')).toBeNull();
    expect(parseRational(undefined)).toBeNull();
  });
});

describe('unitStartSample', () => {
  it('starts every audio chunk inside its own video frame at 29.97 fps and 48 kHz for an hour', () => {
    const fps = { num: 30000, den: 1001 };
    const rate = 48000;
    let previous = unitStartSample(0, rate, fps);
    const misplaced: number[] = [];
    const lengths = new Set<number>();
    for (let j = 1; j < 108_000; j += 1) {
      const start = unitStartSample(j, rate, fps);
      const pts = start / rate;
      // Never before frame j, always before frame j + 1: the chunk belongs to frame j's batch.
      if (!(pts >= unitTime(j, fps) && pts < unitTime(j + 1, fps))) misplaced.push(j);
      lengths.add(start - previous);
      previous = start;
    }
    expect(misplaced).toEqual([]);
    expect([...lengths].sort()).toEqual([1601, 1602]);
    // No drift: after an hour the chunks still sum to exactly the samples of 107 999 frames.
    expect(previous).toBe(Math.ceil((107_999 * 48000 * 1001) / 30000));
  });

  it('gives 40 ms chunks of exactly 1764 samples at 44.1 kHz for audio-only sources', () => {
    const rate = { num: 25, den: 1 };
    expect(unitStartSample(1, 44100, rate)).toBe(1764);
    expect(unitStartSample(90_000, 44100, rate)).toBe(90_000 * 1764);
  });
});
