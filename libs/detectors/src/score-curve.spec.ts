import { ramp } from './score-curve';

describe('ramp', () => {
  it('scores the anchors 0, 0.5 and 1 on a rising curve and stays flat beyond them', () => {
    expect(ramp(0.9, 0.9, 0.98, 1)).toBe(0);
    expect(ramp(0.98, 0.9, 0.98, 1)).toBe(0.5);
    expect(ramp(1, 0.9, 0.98, 1)).toBe(1);
    expect(ramp(0.2, 0.9, 0.98, 1)).toBe(0);
    expect(ramp(1.5, 0.9, 0.98, 1)).toBe(1);
  });

  it('interpolates each side of the threshold with its own slope', () => {
    expect(ramp(0.94, 0.9, 0.98, 1)).toBeCloseTo(0.25, 10);
    expect(ramp(0.99, 0.9, 0.98, 1)).toBeCloseTo(0.75, 10);
  });

  it('handles falling curves, where lower measurements are worse', () => {
    expect(ramp(-50, -50, -60, -70)).toBe(0);
    expect(ramp(-55, -50, -60, -70)).toBeCloseTo(0.25, 10);
    expect(ramp(-60, -50, -60, -70)).toBe(0.5);
    expect(ramp(-65, -50, -60, -70)).toBeCloseTo(0.75, 10);
    expect(ramp(-Infinity, -50, -60, -70)).toBe(1);
  });

  it('scores NaN as 0', () => {
    expect(ramp(Number.NaN, 0, 1, 2)).toBe(0);
  });
});
