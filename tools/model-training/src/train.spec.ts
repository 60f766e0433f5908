import { SIZES, STRESS_SIZES, STRESS_SOURCES, TEST_SOURCES, TEXT_SOURCES, TRAIN_SOURCES, VALIDATION_SOURCES, planClips } from './data';
import { combineMlps, predict, trainEnsemble, trainMlp } from './train';
import type { Mlp } from './train';

/** Two separable clusters in 3 inputs, drawn from a fixed formula. */
function toyData(rows: number): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(rows * 3);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = r % 3 === 0 ? 1 : 0;
    for (let j = 0; j < 3; j++) x[r * 3 + j] = (y[r] ? 1.5 : -0.5) + Math.sin(r * 7.3 + j * 1.7);
  }
  return { x, y };
}

const logit = (p: number): number => Math.log(p / (1 - p));

describe('combineMlps', () => {
  it('gives one network whose logit is the mean of the members’ logits', () => {
    const { x, y } = toyData(300);
    const a = trainMlp(x, y, 300, 3, { seed: 1, hidden: 4, epochs: 5 });
    const b = trainMlp(x, y, 300, 3, { seed: 2, hidden: 6, epochs: 5 });
    const merged = combineMlps([a, b]);
    expect(merged.hidden).toBe(10);
    const [pa, pb, pm] = [a, b, merged].map((m: Mlp) => predict(m, x, 300));
    for (let r = 0; r < 300; r += 17) expect(logit(pm[r])).toBeCloseTo((logit(pa[r]) + logit(pb[r])) / 2, 3);
  });

  it('refuses members of different input sizes', () => {
    const { x, y } = toyData(60);
    const a = trainMlp(x, y, 60, 3, { seed: 1, hidden: 2, epochs: 1 });
    expect(() => combineMlps([a, { ...a, inputSize: 4 }])).toThrow(/input size/);
  });
});

describe('trainEnsemble', () => {
  it('merges members trained from consecutive seeds, reproducibly', () => {
    const { x, y } = toyData(300);
    const options = { seed: 3, hidden: 4, epochs: 40, members: 3 };
    const e1 = trainEnsemble(x, y, 300, 3, options);
    const e2 = trainEnsemble(x, y, 300, 3, options);
    expect(e1.hidden).toBe(12);
    expect(Array.from(e1.w1)).toEqual(Array.from(e2.w1));
    const single = trainMlp(x, y, 300, 3, { ...options, seed: 4 });
    // The second member is the network trained from seed + 1.
    expect(Array.from(e1.w1.subarray(4 * 3, 8 * 3))).toEqual(Array.from(single.w1));
    const scores = predict(e1, x, 300);
    let correct = 0;
    for (let r = 0; r < 300; r++) if (scores[r] >= 0.5 === (y[r] === 1)) correct++;
    expect(correct / 300).toBeGreaterThan(0.9);
  });
});

describe('planClips', () => {
  it('draws the held-out clips independently of the training clips', () => {
    const base = { workDir: '', seed: 5, frames: 150 };
    const a = planClips({ ...base, clipsPerSource: 2, heldOutClipsPerSource: 4 }).filter((c) => c.split === 'test');
    const b = planClips({ ...base, clipsPerSource: 6, heldOutClipsPerSource: 4 }).filter((c) => c.split === 'test');
    expect(a).toHaveLength(4 * 5);
    expect(b).toEqual(a);
    expect(planClips({ ...base, clipsPerSource: 2, heldOutClipsPerSource: 4, splits: ['test'] })).toEqual(a);
  });

  it('plans a validation set from sources of its own, without changing the other sets', () => {
    const base = { workDir: '', seed: 5, frames: 150, clipsPerSource: 2, heldOutClipsPerSource: 3 };
    const all = planClips(base);
    const validation = all.filter((c) => c.split === 'validation');
    expect(validation).toHaveLength(3 * VALIDATION_SOURCES.length);
    for (const clip of validation) {
      expect(TRAIN_SOURCES).not.toContain(clip.source);
      expect(TEST_SOURCES).not.toContain(clip.source);
    }
    expect(planClips({ ...base, splits: ['train', 'test'] })).toEqual(all.filter((c) => c.split !== 'validation'));
  });

  it('plans the clean stress clips only when asked, every source at every stress size, from sources no other set has', () => {
    const base = { workDir: '', seed: 5, frames: 150, clipsPerSource: 2, heldOutClipsPerSource: 3 };
    expect(planClips(base).some((c) => c.split === 'stress')).toBe(false);
    const stress = planClips({ ...base, splits: ['stress'] });
    expect(stress).toHaveLength(Object.keys(STRESS_SOURCES).length * STRESS_SIZES.length);
    expect(new Set(stress.map((c) => `${c.source} ${c.width}x${c.height}`)).size).toBe(stress.length);
    for (const clip of stress) expect([...TRAIN_SOURCES, ...VALIDATION_SOURCES, ...TEST_SOURCES]).not.toContain(clip.source);
    // Adding the stress split changes none of the others.
    expect(planClips({ ...base, splits: ['train', 'validation', 'test', 'stress'] }).filter((c) => c.split !== 'stress')).toEqual(planClips(base));
  });

  it('plans the rolling-text clips only when asked, like the validation set: every training size equally, GOPs drawn', () => {
    const base = { workDir: '', seed: 5, frames: 150, clipsPerSource: 2, heldOutClipsPerSource: 12 };
    expect(planClips(base).some((c) => c.split === 'text')).toBe(false);
    const text = planClips({ ...base, splits: ['text'] });
    expect(text).toHaveLength(12 * TEXT_SOURCES.length);
    for (const source of TEXT_SOURCES) {
      expect(Object.values(STRESS_SOURCES)).toContain(source);
      const sizes = text.filter((c) => c.source === source).map((c) => `${c.width}x${c.height}`);
      for (const [w, h] of SIZES) expect(sizes.filter((s) => s === `${w}x${h}`)).toHaveLength(2);
    }
    expect(new Set(text.map((c) => c.gop)).size).toBeGreaterThan(1);
    expect(planClips({ ...base, splits: ['train', 'validation', 'test', 'stress', 'text'] }).filter((c) => c.split !== 'text' && c.split !== 'stress')).toEqual(planClips(base));
  });
});
