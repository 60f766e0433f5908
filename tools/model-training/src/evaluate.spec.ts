import { evaluate, events, prf, reportedEvents, rocAuc } from './evaluate';
import type { ClipData } from './data';
import { bestThreshold } from './train';
import { ALIGN_FRAMES, labelAligned, labelFrame, summariseFrame } from './data';

describe('evaluation metrics', () => {
  it('computes precision, recall and F1 at a threshold', () => {
    const m = prf([0.9, 0.8, 0.2, 0.6], [1, 0, 1, 1]);
    expect(m.precision).toBeCloseTo(2 / 3);
    expect(m.recall).toBeCloseTo(2 / 3);
    expect(m.f1).toBeCloseTo(2 / 3);
  });

  it('computes ROC-AUC with ties counted half', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
  });

  it('merges runs separated by a short gap into one event', () => {
    expect(events([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])).toEqual([
      [1, 5],
      [13, 13],
    ]);
  });

  it('reports events as the aggregator does: hysteresis, a 0.2 s minimum or a sure frame, and 0.5 s gaps bridged', async () => {
    const scores = new Array<number>(80).fill(0);
    scores.fill(0.7, 2, 5); // 3 frames = 0.12 s: too short, none sure, and 0.6 s before the next run
    scores.fill(0.9, 20, 26);
    scores.fill(0.45, 26, 30); // held at 0.4
    scores.fill(0.9, 38, 41); // 8 frames (0.32 s) later: bridged
    scores.fill(0.95, 60, 62); // 2 frames, 0.76 s later: short, but sure under a confirm score of 0.95 or less
    // The default rule has the confirm score the committed model was calibrated with (0.95).
    expect(await reportedEvents(scores)).toEqual([
      [20, 40],
      [60, 61],
    ]);
    expect(await reportedEvents(scores, 25, { confirmScore: 0.8 })).toEqual([
      [20, 40],
      [60, 61],
    ]);
    expect(await reportedEvents(scores, 25, { confirmScore: 0.96 })).toEqual([[20, 40]]);
    expect(await reportedEvents(scores, 25, { confirmScore: undefined })).toEqual([[20, 40]]);
  });

  it('counts events on clean clips as false ones in the all-clips figures, not in the corrupted-clip ones', async () => {
    const clip = (id: string, corrupted: boolean, labelled: [number, number] | null): ClipData => {
      const labels = new Uint8Array(50);
      if (labelled) labels.fill(1, labelled[0], labelled[1]);
      return { id, source: 'toy', split: 'test', corrupted, features: new Float32Array(0), labels, ambiguous: new Uint8Array(50), blockdetect: new Float32Array(50), damage: new Float32Array(50), unexplained: new Uint8Array(50), decodeErrors: new Uint8Array(50), gop: 25 };
    };
    const scores = new Map<string, number[]>([
      ['bad', [...new Array(10).fill(0), ...new Array(10).fill(0.9), ...new Array(30).fill(0)]], // found
      ['clean', [...new Array(30).fill(0), ...new Array(10).fill(0.9), ...new Array(10).fill(0)]], // a false event
    ]);
    const result = await evaluate([clip('bad', true, [12, 22]), clip('clean', false, null)], (c) => Float32Array.from(scores.get(c.id) as number[]));
    expect(result.events).toMatchObject({ precision: 1, recall: 1, truth: 1, predicted: 1 });
    expect(result.clean.falsePositiveEvents).toBe(1);
    expect(result.allClips.precision).toBe(0.5);
    expect(result.allClips.recall).toBe(1);
    expect(result.allClips.f1).toBeCloseTo(2 / 3);
  });

  it('reports the network\'s own per-frame figures beside the detector\'s when given its scores', async () => {
    const labels = new Uint8Array(50);
    labels.fill(1, 10, 20);
    const clip: ClipData = { id: 'c', source: 'toy', split: 'test', corrupted: true, features: new Float32Array(0), labels, ambiguous: new Uint8Array(50), blockdetect: new Float32Array(50), damage: new Float32Array(50), unexplained: new Uint8Array(50), decodeErrors: new Uint8Array(50), gop: 25 };
    const network = Float32Array.from({ length: 50 }, (_, i) => (i >= 10 && i < 20 ? 0.9 : 0.1));
    const gated = Float32Array.from(network, (v, i) => (i >= 15 ? 0 : v)); // the gate closed from frame 15
    const result = await evaluate([clip], () => gated, undefined, () => network);
    expect(result.network).toMatchObject({ precision: 1, recall: 1, f1: 1, auc: 1 });
    expect(result.model).toMatchObject({ precision: 1, recall: 0.5 });
    expect(result.model.auc).toBeLessThan(1);
    expect(await evaluate([clip], () => gated)).not.toHaveProperty('network');
  });

  it('measures the boundaries of the events found against one GOP of the clip', async () => {
    const labels = new Uint8Array(100);
    labels.fill(1, 20, 70); // damage on frames 20–69, repaired at the keyframe at 70
    const clip = (id: string, gop: number): ClipData => ({ id, source: 'toy', split: 'test', corrupted: true, features: new Float32Array(0), labels, ambiguous: new Uint8Array(100), blockdetect: new Float32Array(100), damage: new Float32Array(100), unexplained: new Uint8Array(100), decodeErrors: new Uint8Array(100), gop });
    // Reported in two pieces (the 0.56 s between them is not bridged), 4 frames late and ending
    // 12 frames before the repair: taken together they give both errors.
    const scores = Float32Array.from({ length: 100 }, (_, i) => ((i >= 24 && i < 30) || (i >= 44 && i < 58) ? 0.9 : 0));
    expect(await reportedEvents(scores)).toEqual([
      [24, 29],
      [44, 57],
    ]);
    const long = await evaluate([clip('long-gop', 50)], () => scores);
    expect(long.boundaries).toEqual({ found: 1, withinGop: 1, medianStartErrorSec: 4 / 25, medianEndErrorSec: 12 / 25, maxStartErrorSec: 4 / 25, maxEndErrorSec: 12 / 25 });
    // The same events against a 10-frame GOP: the end is more than one GOP early.
    expect((await evaluate([clip('short-gop', 10)], () => scores)).boundaries).toMatchObject({ found: 1, withinGop: 0 });
    // Nothing found: no boundary to measure.
    expect((await evaluate([clip('missed', 10)], () => new Float32Array(100))).boundaries).toEqual({ found: 0, withinGop: 1, medianStartErrorSec: 0, medianEndErrorSec: 0, maxStartErrorSec: 0, maxEndErrorSec: 0 });
  });

  it('finds the best-F1 threshold', () => {
    const best = bestThreshold(Float32Array.from([0.1, 0.4, 0.6, 0.9]), Uint8Array.from([0, 0, 1, 1]));
    expect(best.f1).toBe(1);
    expect(best.threshold).toBeGreaterThan(0.4);
    expect(best.threshold).toBeLessThanOrEqual(0.6);
  });
});

describe('labelFrame', () => {
  it('labels a frame by the share of 16×16 blocks that differ from the clean decode', () => {
    const w = 160;
    const h = 160; // 100 blocks
    const clean = new Uint8Array(w * h).fill(100);
    const bad = clean.slice();
    expect(labelFrame(clean, bad, w, h)).toEqual({ label: 0, ambiguous: false, share: 0 });
    for (let y = 0; y < 16; y++) bad.fill(200, y * w, y * w + 16); // one block: 1 %
    expect(labelFrame(clean, bad, w, h)).toMatchObject({ label: 0, ambiguous: true });
    for (let y = 0; y < 16; y++) bad.fill(200, y * w, y * w + 48); // three blocks: 3 %
    expect(labelFrame(clean, bad, w, h)).toMatchObject({ label: 1, ambiguous: false });
  });
});

describe('labelFrame: what a viewer can see', () => {
  const w = 160;
  const h = 160; // 100 blocks
  /** Grain of strength ±25 around mid-grey (what `noise=alls=25` adds), different for every seed. */
  const grain = (seed: number): Uint8Array => {
    let x = seed * 2654435761;
    return Uint8Array.from({ length: w * h }, () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return 103 + ((x >>> 16) % 51);
    });
  };

  it('does not count grain replaced by other grain of the same strength', () => {
    const l = labelFrame(grain(1), grain(2), w, h);
    expect(l.share).toBe(0);
  });

  it('counts a smear over grain (the texture is gone) and a patch of another brightness', () => {
    const clean = grain(1);
    const smeared = clean.slice();
    // Vertical streaks across the top two macroblock rows: every row repeats the first one.
    for (let y = 1; y < 32; y++) smeared.copyWithin(y * w, 0, w);
    expect(labelFrame(clean, smeared, w, h)).toMatchObject({ label: 1, share: 0.2 });
    const patch = clean.slice();
    for (let y = 64; y < 80; y++) for (let x = 0; x < 48; x++) patch[y * w + x] = Math.min(255, (patch[y * w + x] as number) + 30);
    expect(labelFrame(clean, patch, w, h)).toMatchObject({ label: 1, share: 0.03 });
  });
});

describe('labelAligned', () => {
  const w = 160;
  const h = 96;
  /** Moving content: a ramp that shifts 6 pixels a frame. */
  const frame = (t: number): Uint8Array => Uint8Array.from({ length: w * h }, (_, i) => ((i % w) * 3 + t * 18) % 256);
  const clean = (i: number) => (i >= 0 && i < 10 ? summariseFrame(frame(i), w, h) : null);
  const at = (p: Uint8Array) => summariseFrame(p, w, h);

  it('compares a frame with the clean frame it shows when the decoder\'s timestamp is off', () => {
    // Frame 5 of the corrupted decode shows the clean frame 4: against frame 5 every block differs.
    expect(labelFrame(frame(5), frame(4), w, h).label).toBe(1);
    expect(labelAligned(clean, 5, at(frame(4)))).toEqual({ label: 0, ambiguous: false, share: 0 });
    expect(labelAligned(clean, 5, at(frame(5 - ALIGN_FRAMES))).share).toBe(0);
    // Further away than ALIGN_FRAMES it is not the same picture any more.
    expect(labelAligned(clean, 5, at(frame(5 - ALIGN_FRAMES - 1))).label).toBe(1);
  });

  it('still labels damage in a frame shown at the right time', () => {
    const bad = frame(5);
    for (let y = 32; y < 48; y++) bad.fill(0, y * w, y * w + 64);
    expect(labelAligned(clean, 5, at(bad))).toMatchObject({ label: 1, share: 4 / 60 });
  });
});
