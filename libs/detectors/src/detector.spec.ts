import { FramewatchError } from '@framewatch/errors';
import type { FrameScore } from '@framewatch/frame-codec';
import { createDetector, detectorNames } from './detector';
import { batch, chunk, columns, frame, movingBars, plane, sine } from './spec-helpers';

const W = 320;
const H = 180;
const still = movingBars(W, H, 0);
const black = plane(W, H, () => 16);

function usageError(fn: () => unknown): FramewatchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return err as FramewatchError;
  }
  throw new Error('expected a FramewatchError');
}

function video(scores: FrameScore[]): FrameScore[] {
  return scores.filter((s) => s.target === 'video');
}

describe('createDetector', () => {
  it('describes all four detectors with their needs by default', async () => {
    const { group, detectors } = await createDetector().describe();
    expect(group).toBe('default');
    expect(detectors.map((d) => [d.name, d.defect])).toEqual([
      ['black', 'black'],
      ['freeze', 'freeze'],
      ['silence', 'silence'],
      ['clipping', 'clipping'],
    ]);
    expect(detectors[0]?.needs).toEqual({ video: { width: 320, height: 180 }, audio: null });
    expect(detectors[3]?.needs).toEqual({ video: null, audio: { sampleRate: 48000, channels: 2 } });
  });

  it('runs only the selected subset, in canonical order, under the group name', async () => {
    const detector = createDetector({ group: 'audio', detectors: ['clipping', 'silence', 'clipping'] });
    expect((await detector.describe()).detectors.map((d) => d.name)).toEqual(['silence', 'clipping']);
    const out = await detector.detect(batch('s', 0, [frame(0, still)], [chunk(0, 2, () => 0)]));
    expect(out).toMatchObject({ streamId: 's', seq: 0, group: 'audio', detectors: ['silence', 'clipping'], final: false });
    // Video frames get no score from an audio-only group.
    expect(out.scores).toHaveLength(1);
    expect(Object.keys(out.scores[0]?.scores ?? {})).toEqual(['silence', 'clipping']);
  });

  it('rejects unknown detector names with a USAGE error listing the valid ones', () => {
    const err = usageError(() => createDetector({ detectors: ['black', 'blockiness'] }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toContain('"blockiness"');
    for (const name of detectorNames) expect(err.message).toContain(name);
  });

  it('rejects an empty selection, an empty group name and a bad threshold', () => {
    expect(usageError(() => createDetector({ detectors: [] })).code).toBe('USAGE');
    expect(usageError(() => createDetector({ group: ' ' })).code).toBe('USAGE');
    expect(usageError(() => createDetector({ thresholds: { black: { ratio: 2 } } })).code).toBe('USAGE');
  });

  it('scores each video frame and audio chunk once, with index, pts, duration and detail', async () => {
    const out = await createDetector().detect(
      batch('s', 0, [frame(0, movingBars(W, H, 0)), frame(1, movingBars(W, H, 1))], [chunk(0, 2, sine(0.1, 440)), chunk(1, 2, () => 0)]),
    );
    expect(out.scores.map((s) => [s.target, s.index])).toEqual([
      ['video', 0],
      ['video', 1],
      ['audio', 0],
      ['audio', 1],
    ]);
    const [v0, v1, a0, a1] = out.scores as [FrameScore, FrameScore, FrameScore, FrameScore];
    expect(v1.pts).toBeCloseTo(0.04, 12);
    expect(v0.durationSec).toBeCloseTo(0.04, 12);
    expect(v1.durationSec).toBeCloseTo(0.04, 12);
    expect(a1.durationSec).toBeCloseTo(0.04, 12);
    expect(v1.scores).toEqual({ black: 0, freeze: 0 });
    // Moving bars change far more than twice the threshold share, so the scan stopped early.
    expect(Object.keys(v1.detail ?? {})).toEqual(['black.ratio', 'freeze.changed']);
    expect(a0.scores).toEqual({ silence: 0, clipping: 0 });
    expect(a1.scores.silence).toBe(1);
    expect(a1.detail?.['silence.dbfs']).toBe(-120);
    for (const s of out.scores) for (const v of Object.values(s.scores)) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('calls a black frame black and never also frozen', async () => {
    const out = await createDetector().detect(batch('s', 0, [0, 1, 2].map((i) => frame(i, black))));
    expect(out.scores.map((s) => s.scores)).toEqual([
      { black: 1, freeze: 0 },
      { black: 1, freeze: 0 },
      { black: 1, freeze: 0 },
    ]);
  });

  it('suppresses freeze on black even when the black detector is not in the group', async () => {
    const out = await createDetector({ detectors: ['freeze'] }).detect(batch('s', 0, [frame(0, black), frame(1, black)]));
    expect(out.scores.map((s) => s.scores)).toEqual([{ freeze: 0 }, { freeze: 0 }]);
  });

  it('keeps the previous frame across batches of a stream', async () => {
    const detector = createDetector({ detectors: ['freeze'] });
    await detector.detect(batch('s', 0, [frame(0, movingBars(W, H, 0)), frame(1, still)]));
    const next = await detector.detect(batch('s', 1, [frame(2, still)]));
    expect(next.scores[0]?.scores.freeze).toBe(1);
    // The single frame of that batch took its duration from the stream's previous frame.
    expect(next.scores[0]?.durationSec).toBeCloseTo(0.04, 12);
  });

  it('keeps streams apart and forgets a stream on release', async () => {
    const detector = createDetector({ detectors: ['freeze'] });
    await detector.detect(batch('a', 0, [frame(0, still)]));
    await detector.detect(batch('b', 0, [frame(0, movingBars(W, H, 5))]));
    expect((await detector.detect(batch('a', 1, [frame(1, still)]))).scores[0]?.scores.freeze).toBe(1);
    await detector.release('a');
    await detector.release('a');
    expect((await detector.detect(batch('a', 2, [frame(2, still)]))).scores[0]?.scores.freeze).toBe(0);
  });

  it('forgets a stream after its final batch and when a stream restarts at seq 0', async () => {
    const detector = createDetector({ detectors: ['freeze'] });
    await detector.detect(batch('s', 0, [frame(0, still)], [], true));
    expect((await detector.detect(batch('s', 1, [frame(1, still)]))).scores[0]?.scores.freeze).toBe(0);
    expect((await detector.detect(batch('s', 0, [frame(0, still)]))).scores[0]?.scores.freeze).toBe(0);
  });

  it('gives the same verdicts on a 640×360 plane as on 320×180', async () => {
    const small = [0, 0, 1].map((t) => movingBars(W, H, t));
    const large = [0, 0, 1].map((t) => columns(640, 360, (x) => (Math.floor((x / 2 + 4 * t) / 32) % 2 === 0 ? 200 : 40)));
    const run = async (planes: Uint8Array[], w: number, h: number): Promise<Record<string, number>[]> =>
      video((await createDetector().detect(batch('s', 0, planes.map((p, i) => frame(i, p, w, h))))).scores).map((s) => s.scores);
    expect(await run(large, 640, 360)).toEqual(await run(small, W, H));
  });

  it('accepts a yuv420p frame by its luma plane and rejects a plane too short for its size', async () => {
    const detector = createDetector({ detectors: ['black'] });
    const yuv = { ...frame(0, black), format: 'yuv420p' as const, planes: [black, new Uint8Array(W * H / 4), new Uint8Array(W * H / 4)] };
    expect((await detector.detect(batch('s', 0, [yuv]))).scores[0]?.scores.black).toBe(1);
    await expect(detector.detect(batch('s', 1, [frame(1, new Uint8Array(100))]))).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('rejects an audio chunk whose samples do not fill whole frames', async () => {
    const bad = { ...chunk(0, 2, () => 0), samples: new Float32Array(3) };
    await expect(createDetector().detect(batch('s', 0, [], [bad]))).rejects.toMatchObject({ code: 'USAGE' });
  });
});
