import { FramewatchError } from '@framewatch/errors';
import { defaultThresholds, resolveThresholds } from './thresholds';

describe('resolveThresholds', () => {
  it('returns the defaults when nothing is overridden', () => {
    expect(resolveThresholds()).toEqual(defaultThresholds);
  });

  it('merges partial overrides over the defaults without touching them', () => {
    const t = resolveThresholds({ silence: { dbfs: -70 }, black: { ratio: 0.95 } });
    expect(t.silence.dbfs).toBe(-70);
    expect(t.black).toEqual({ lumaMax: defaultThresholds.black.lumaMax, ratio: 0.95 });
    expect(defaultThresholds.silence.dbfs).toBe(-60);
  });

  it.each([
    [{ silence: { dbfs: 5 } }, 'silence.dbfs'],
    [{ black: { ratio: Number.NaN } }, 'black.ratio'],
    [{ clipping: { minRun: 2.5 } }, 'clipping.minRun'],
    [{ freeze: { speed: 1 } }, 'freeze.speed'],
    [{ loudness: {} }, 'loudness'],
  ])('rejects %j with a USAGE error naming %s', (overrides, name) => {
    let caught: unknown;
    try {
      resolveThresholds(overrides as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FramewatchError);
    expect((caught as FramewatchError).code).toBe('USAGE');
    expect((caught as Error).message).toContain(name);
  });
});
