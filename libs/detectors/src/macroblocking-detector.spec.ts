import { join } from 'node:path';
import { createDetector } from './detector';
import { MACROBLOCK_FEATURE_COUNT, MacroblockFeatureTracker } from './macroblock-features';
import { MACROBLOCK_EVIDENCE_FLOOR, MacroblockEvidenceGate, macroblockEvidence } from './macroblock-gate';
import { loadMacroblockModel } from './macroblocking';
import type { MacroblockModel } from './macroblocking';
import { batch, checkerboard, frame, movingBars, plane, smoothGradient, withLostSlice } from './spec-helpers';

const W = 320;
const H = 192;

/** Clean content: a smooth gradient moved by `t` (sharp moving bars would put edges on the macroblock grid). */
const smooth = (t: number): Uint8Array => smoothGradient(W, H, t);

/** The gradient with two macroblock rows of flat wrong blocks, as a lost slice leaves them. */
const damaged = (t: number): Uint8Array => withLostSlice(smoothGradient(W, H, t), W);

/** The features one tracker computes for `planes`, frame-major, and whether each frame's change is unexplained. */
function featuresOf(planes: Uint8Array[]): { features: Float32Array; unexplained: Uint8Array } {
  const tracker = new MacroblockFeatureTracker();
  const features = new Float32Array(planes.length * MACROBLOCK_FEATURE_COUNT);
  const unexplained = new Uint8Array(planes.length);
  planes.forEach((p, t) => {
    tracker.next(p, W, H, features.subarray(t * MACROBLOCK_FEATURE_COUNT, (t + 1) * MACROBLOCK_FEATURE_COUNT));
    unexplained[t] = tracker.changeUnexplained ? 1 : 0;
  });
  return { features, unexplained };
}

/** The macroblocking scores the detector reports for `planes`, sent in batches of `size`. */
async function detectorScores(planes: Uint8Array[], model: MacroblockModel, size = 16): Promise<number[]> {
  const detector = createDetector({ detectors: ['macroblocking'], macroblocking: { model } });
  const scores: number[] = [];
  for (let start = 0, seq = 0; start < planes.length; start += size, seq++) {
    const out = await detector.detect(batch('s', seq, planes.slice(start, start + size).map((p, i) => frame(start + i, p, W, H))));
    scores.push(...out.scores.map((s) => s.scores['macroblocking'] as number));
  }
  return scores;
}

/** A model that records what it is asked and scores each frame by its first feature (clamped later). */
function recordingModel(score: (row: Float32Array) => number = () => 0.25): MacroblockModel & { calls: { features: Float32Array; n: number }[] } {
  const calls: { features: Float32Array; n: number }[] = [];
  return {
    modelPath: '/models/fake.onnx',
    featureCount: MACROBLOCK_FEATURE_COUNT,
    threads: 1,
    calls,
    async score(features, n) {
      calls.push({ features: features.slice(), n });
      return Float32Array.from({ length: n }, (_, i) => score(features.subarray(i * MACROBLOCK_FEATURE_COUNT, (i + 1) * MACROBLOCK_FEATURE_COUNT)));
    },
  };
}

describe('createDetector with macroblocking', () => {
  it('does not run macroblocking by default, even when a model is given', async () => {
    const model = recordingModel();
    const detector = createDetector({ macroblocking: { model } });
    expect((await detector.describe()).detectors.map((d) => d.name)).toEqual(['black', 'freeze', 'silence', 'clipping']);
    const out = await detector.detect(batch('s', 0, [frame(0, movingBars(W, H, 0), W, H)]));
    expect(out.scores[0]?.scores).not.toHaveProperty('macroblocking');
    expect(model.calls).toHaveLength(0);
  });

  it("describes macroblocking as full-resolution deblocked luma with the decoder's reports when selected", async () => {
    const detector = createDetector({ detectors: ['macroblocking', 'black'], macroblocking: { model: recordingModel() } });
    const { detectors } = await detector.describe();
    expect(detectors.map((d) => [d.name, d.defect])).toEqual([
      ['black', 'black'],
      ['macroblocking', 'macroblocking'],
    ]);
    expect(detectors[1]?.needs).toEqual({ video: { width: 0, height: 0, deblocked: true, decoderReports: true }, audio: null });
  });

  it('needs a loaded model whose input matches the features', async () => {
    expect(() => createDetector({ detectors: ['macroblocking'] })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/options\.macroblocking\.model/) }));
    const tiny = await loadMacroblockModel({ modelPath: join(__dirname, '__fixtures__', 'tiny-macroblock.onnx') });
    expect(() => createDetector({ detectors: ['macroblocking'], macroblocking: { model: tiny } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/takes 4 features per frame; the detector computes/) }),
    );
  });

  it('scores every frame of a batch in one model run, with the previous frame carried across batches', async () => {
    const model = recordingModel((row) => (row[0] as number) + 10); // clamped to 1
    const detector = createDetector({ detectors: ['macroblocking'], macroblocking: { model } });
    const planes = [0, 1, 2, 3, 4].map((t) => (t === 2 ? damaged(t) : smooth(t)));
    const first = await detector.detect(batch('s', 0, planes.slice(0, 3).map((p, i) => frame(i, p, W, H))));
    const second = await detector.detect(batch('s', 1, planes.slice(3).map((p, i) => frame(i + 3, p, W, H)), [], true));
    expect(model.calls.map((c) => c.n)).toEqual([3, 2]);
    expect(first.detectors).toEqual(['macroblocking']);
    // Frames before the damaged one have no evidence of damage: the gate zeroes them.
    expect([first, second].flatMap((out) => out.scores.map((s) => s.scores))).toEqual([0, 0, 1, 1, 1].map((v) => ({ macroblocking: v })));

    // The features are exactly one tracker's, fed the stream's frames in order across batches.
    const tracker = new MacroblockFeatureTracker();
    const expected = planes.map((p) => tracker.next(p, W, H));
    const seen = model.calls.flatMap((c) => Array.from(c.features));
    expected.forEach((f, t) => expect(Array.from(seen.slice(t * MACROBLOCK_FEATURE_COUNT, (t + 1) * MACROBLOCK_FEATURE_COUNT))).toEqual(Array.from(f)));
  });

  it('starts a stream afresh at seq 0 and after a size change (no previous frame)', async () => {
    const model = recordingModel();
    const detector = createDetector({ detectors: ['macroblocking'], macroblocking: { model } });
    await detector.detect(batch('s', 0, [frame(0, movingBars(W, H, 0), W, H)]));
    await detector.detect(batch('s', 0, [frame(0, movingBars(W, H, 1), W, H)]));
    await detector.detect(batch('s', 1, [frame(1, plane(64, 64, () => 90), 64, 64)]));
    const fresh1 = new MacroblockFeatureTracker().next(movingBars(W, H, 1), W, H);
    const fresh2 = new MacroblockFeatureTracker().next(plane(64, 64, () => 90), 64, 64);
    expect(Array.from(model.calls[1]?.features ?? [])).toEqual(Array.from(fresh1));
    expect(Array.from(model.calls[2]?.features ?? [])).toEqual(Array.from(fresh2));
  });

  it('adds its score next to black and freeze in the same frame score', async () => {
    const model = recordingModel(() => 0.8);
    const detector = createDetector({ detectors: ['black', 'freeze', 'macroblocking'], macroblocking: { model } });
    const out = await detector.detect(batch('s', 0, [frame(0, movingBars(W, H, 0), W, H), frame(1, damaged(1), W, H)]));
    expect(out.scores.map((s) => Object.keys(s.scores).sort())).toEqual([
      ['black', 'freeze', 'macroblocking'],
      ['black', 'freeze', 'macroblocking'],
    ]);
    expect(out.scores[1]?.scores['macroblocking']).toBeCloseTo(0.8, 6);
  });

  it('reports a frame\'s score only while the stream showed evidence of damage in its last MACROBLOCK_EVIDENCE_FRAMES frames, across batches', async () => {
    // Clean moving content, one damaged frame, then the damage held unchanged (as the decoder copies
    // it) for 64 frames: it stays evidence only until the stream's median has taken it in.
    const planes = Array.from({ length: 70 }, (_, t) => (t < 5 ? smooth(t) : damaged(5)));
    const scores = await detectorScores(planes, recordingModel(() => 0.9));
    const { features, unexplained } = featuresOf(planes);
    const expected = Array.from(new MacroblockEvidenceGate().apply(features, new Float32Array(planes.length).fill(0.9), planes.length, unexplained), (v) => Math.round(v * 1e6) / 1e6);
    expect(scores).toEqual(expected);
    // Closed before the damage, open from it, closed again once the held damage shows nothing new.
    expect(scores.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(scores[5]).toBeCloseTo(0.9, 6);
    expect(scores.slice(60).every((v) => v === 0)).toBe(true);
  });

  it('scores 0 on a sharp pattern sliding across the picture, however sure the network is, until something new appears', async () => {
    // Every frame is the previous one shifted 2 px: its edges cross the macroblock grid in many
    // blocks at once (evidence by the features), but the motion test explains every changed block.
    const sliding = Array.from({ length: 40 }, (_, t) => checkerboard(W, H, 2 * t));
    const { features } = featuresOf(sliding);
    const evidence = Array.from({ length: sliding.length }, (_, t) => macroblockEvidence(features, t * MACROBLOCK_FEATURE_COUNT));
    expect(evidence.filter((e) => e > MACROBLOCK_EVIDENCE_FLOOR).length).toBeGreaterThan(0);
    expect(await detectorScores(sliding, recordingModel(() => 0.97))).toEqual(new Array<number>(sliding.length).fill(0));

    // The same with a lost slice from frame 30: scored from there.
    const hit = sliding.map((p, t) => (t >= 30 ? withLostSlice(p.slice(), W) : p));
    const scores = await detectorScores(hit, recordingModel(() => 0.97));
    expect(scores.slice(0, 30).every((v) => v === 0)).toBe(true);
    expect(scores[30]).toBeCloseTo(0.97, 6);
  });
});
