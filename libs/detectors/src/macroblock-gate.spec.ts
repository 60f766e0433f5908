import { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_FEATURE_NAMES } from './macroblock-features';
import {
  DECODER_REPORT_EVIDENCE,
  DECODER_REPORT_FRAMES,
  DecoderReportGate,
  MACROBLOCK_EVIDENCE_FLOOR,
  MACROBLOCK_EVIDENCE_FRAMES,
  MACROBLOCK_SURE_EVIDENCE_FLOOR,
  MACROBLOCK_SURE_SCORE,
  MacroblockEvidenceGate,
  macroblockEvidence,
} from './macroblock-gate';

type FeatureName = (typeof MACROBLOCK_FEATURE_NAMES)[number];

/** `n` frames of features, all 0 but `values` (frame index → feature → value). */
function rows(n: number, values: Record<number, Partial<Record<FeatureName, number>>> = {}): Float32Array {
  const out = new Float32Array(n * MACROBLOCK_FEATURE_COUNT);
  for (const [frame, set] of Object.entries(values)) {
    for (const [name, value] of Object.entries(set)) out[Number(frame) * MACROBLOCK_FEATURE_COUNT + MACROBLOCK_FEATURE_NAMES.indexOf(name as FeatureName)] = value as number;
  }
  return out;
}

describe('macroblockEvidence', () => {
  it('is the largest share of blocks that newly look damaged, from any of the six evidence features', () => {
    const evidence = ['artifactBlockShareRise', 'changeBlockShareRise', 'newArtifactBlockShare', 'collapseShareRise', 'stuckShareRise', 'newCollapseShare'] as const;
    for (const [k, name] of evidence.entries()) expect(macroblockEvidence(rows(1, { 0: { [name]: 0.02 + k / 100 } }))).toBeCloseTo(0.02 + k / 100, 6);
    expect(macroblockEvidence(rows(1, { 0: { changeBlockShareRise: 0.03, collapseShareRise: 0.05 } }))).toBeCloseTo(0.05, 6);
  });

  it('ignores absolute counts, memories and row maxima: a steady busy picture or one small change is no evidence', () => {
    // A grid-aligned pattern has artifact edges in every frame (absolute share, not a rise); a
    // clock's changed digits fill most of one macroblock row.
    const steady = rows(1, { 0: { artifactBlockShare: 0.4, changeBlockShare: 0.3, changeRowMax: 0.5, artifactRunMax: 1, changeMemory: 0.5, runMemory: 0.2, textureMemory: 0.3 } });
    expect(macroblockEvidence(steady)).toBe(0);
    expect(macroblockEvidence(rows(1, { 0: { artifactBlockShareRise: -0.3, stuckShareRise: -0.2 } }))).toBe(0);
  });
});

/** Every one of `n` frames changed in a way the previous frame does not explain. */
const allNew = (n: number): Uint8Array => new Uint8Array(n).fill(1);

describe('MacroblockEvidenceGate', () => {
  it('zeroes every score of a stream that shows no evidence, however sure the network is', () => {
    const n = 60;
    const scores = new MacroblockEvidenceGate().apply(rows(n, { 10: { changeBlockShareRise: MACROBLOCK_EVIDENCE_FLOOR / 2 } }), new Float32Array(n).fill(0.97), n, allNew(n));
    expect(Array.from(scores)).toEqual(new Array<number>(n).fill(0));
  });

  it('keeps the scores from a frame with evidence for the next MACROBLOCK_EVIDENCE_FRAMES frames', () => {
    const n = 60;
    const input = Float32Array.from({ length: n }, (_, i) => 0.5 + i / 1000);
    const scores = new MacroblockEvidenceGate().apply(rows(n, { 5: { newArtifactBlockShare: 2 * MACROBLOCK_EVIDENCE_FLOOR } }), input.slice(), n, allNew(n));
    const kept = Array.from(scores, (v, i) => [i, v > 0] as const).filter(([, on]) => on).map(([i]) => i);
    expect(kept).toEqual(Array.from({ length: MACROBLOCK_EVIDENCE_FRAMES + 1 }, (_, k) => 5 + k));
    expect(scores[5]).toBeCloseTo(input[5] as number, 6);
  });

  it('needs more than the floor: exactly 1 % of the blocks (3 of 300, as float32 features hold it) is not evidence', () => {
    const at = (share: number): number => new MacroblockEvidenceGate().apply(rows(1, { 0: { changeBlockShareRise: share } }), Float32Array.of(0.9), 1, allNew(1))[0] as number;
    expect(at(3 / 300)).toBe(0);
    expect(at(4 / 300)).toBeCloseTo(0.9, 6);
  });

  it('lets a frame the network is sure of bring evidence with fewer blocks, but still only after an unexplained change', () => {
    const share = (MACROBLOCK_SURE_EVIDENCE_FLOOR + MACROBLOCK_EVIDENCE_FLOOR) / 2;
    const at = (score: number, changed: boolean): number =>
      new MacroblockEvidenceGate().apply(rows(1, { 0: { newCollapseShare: share } }), Float32Array.of(score), 1, changed ? allNew(1) : new Uint8Array(1))[0] as number;
    expect(at(MACROBLOCK_SURE_SCORE, true)).toBeCloseTo(MACROBLOCK_SURE_SCORE, 6);
    expect(at(0.98, true)).toBe(0);
    expect(at(MACROBLOCK_SURE_SCORE, false)).toBe(0);
    // At or under the sure floor even a sure frame brings nothing.
    const under = new MacroblockEvidenceGate().apply(rows(1, { 0: { newCollapseShare: MACROBLOCK_SURE_EVIDENCE_FLOOR / 2 } }), Float32Array.of(1), 1, allNew(1));
    expect(under[0]).toBe(0);
  });

  it('carries its state across calls (batches of one stream) and is renewed by each frame with evidence', () => {
    const gate = new MacroblockEvidenceGate();
    const first = gate.apply(rows(3, { 2: { collapseShareRise: 0.2 } }), new Float32Array(3).fill(0.9), 3, allNew(3));
    expect(Array.from(first)).toEqual([0, 0, expect.closeTo(0.9, 6)]);
    // 20 quiet frames, one with evidence, then 30 more: open for MACROBLOCK_EVIDENCE_FRAMES frames
    // after the first call's evidence and after the second one's, closed in between and after.
    const F = MACROBLOCK_EVIDENCE_FRAMES;
    const n = 51;
    const second = gate.apply(rows(n, { 20: { stuckShareRise: 0.05 } }), new Float32Array(n).fill(0.9), n, allNew(n));
    expect(F).toBeLessThan(19);
    expect(Array.from(second, (v) => v > 0)).toEqual(Array.from({ length: n }, (_, j) => j + 1 <= F || (j >= 20 && j - 20 <= F)));
  });

  it('counts evidence only in a frame within MACROBLOCK_EVIDENCE_FRAMES frames of an unexplained change', () => {
    const F = MACROBLOCK_EVIDENCE_FRAMES;
    const n = 40;
    const features = rows(n, { 30: { artifactBlockShareRise: 0.4 } });
    const open = (changedAt: number | null): boolean => {
      const unexplained = new Uint8Array(n);
      if (changedAt !== null) unexplained[changedAt] = 1;
      return (new MacroblockEvidenceGate().apply(features, new Float32Array(n).fill(0.9), n, unexplained)[30] as number) > 0;
    };
    // A sharp pattern sliding across the grid: strong evidence, nothing new in the picture.
    expect(open(null)).toBe(false);
    expect(open(30)).toBe(true);
    expect(open(30 - F + 1)).toBe(true);
    expect(open(30 - F)).toBe(false);
    // A change after the evidence does not make it count.
    expect(open(31)).toBe(false);
  });

  it('carries the last unexplained change across calls', () => {
    const gate = new MacroblockEvidenceGate();
    const unexplained = new Uint8Array(4);
    unexplained[3] = 1;
    gate.apply(rows(4), new Float32Array(4), 4, unexplained);
    const next = gate.apply(rows(2, { 1: { newCollapseShare: 0.1 } }), new Float32Array(2).fill(0.9), 2, new Uint8Array(2));
    expect(Array.from(next)).toEqual([0, expect.closeTo(0.9, 6)]);
  });
});

/** `n` frames' decoder reports, all 0 but `at` (frame index → count). */
function reports(n: number, at: Record<number, number> = {}): Uint8Array {
  const out = new Uint8Array(n);
  for (const [i, count] of Object.entries(at)) out[Number(i)] = count;
  return out;
}

describe('DecoderReportGate', () => {
  const risen = DECODER_REPORT_EVIDENCE * 2;

  it('scores 1 the frames after a report whose picture shows new damage, within the window, and keeps the others', () => {
    const n = 40;
    const last = 5 + DECODER_REPORT_FRAMES;
    const features = rows(n, { 3: { unexplainedShareRise: risen }, 8: { changeRunMaxRise: risen }, [last]: { streakShareRise: risen }, [last + 1]: { collapseShareRise: risen } });
    const scores = new DecoderReportGate().apply(features, new Float32Array(n).fill(0.2), n, reports(n, { 5: 2 }));
    const expected = new Array<number>(n).fill(0.2);
    expected[8] = 1;
    expected[last] = 1;
    expect(Array.from(scores)).toEqual(expected.map((v) => Math.fround(v)));
  });

  it('needs the picture to show it: a report on a frame with no rise above the evidence level changes nothing', () => {
    const n = 20;
    const features = rows(n, { 2: { changeBlockShareRise: DECODER_REPORT_EVIDENCE * 0.9 }, 3: { changeBlockShare: 0.5, artifactRunMax: 1, changeMemory: 0.4 } });
    const scores = new DecoderReportGate().apply(features, new Float32Array(n).fill(0.3), n, reports(n, { 1: 1 }));
    expect(Array.from(scores)).toEqual(new Array<number>(n).fill(Math.fround(0.3)));
  });

  it("does nothing without reports, however damaged the picture looks: that is the network's to say", () => {
    const n = 10;
    const features = rows(n, Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { artifactBlockShareRise: 0.5 }])));
    const scores = new DecoderReportGate().apply(features, new Float32Array(n).fill(0.1), n, reports(n));
    expect(Array.from(scores)).toEqual(new Array<number>(n).fill(Math.fround(0.1)));
  });

  it("carries the window across calls, as a stream's batches arrive", () => {
    const gate = new DecoderReportGate();
    const first = gate.apply(rows(3), new Float32Array(3), 3, reports(3, { 2: 1 }));
    expect(Array.from(first)).toEqual([0, 0, 0]);
    const second = gate.apply(rows(3, { 1: { stuckShareRise: risen } }), new Float32Array(3), 3, reports(3));
    expect(Array.from(second)).toEqual([0, 1, 0]);
  });
});
