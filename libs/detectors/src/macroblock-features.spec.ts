import { DECAY, HISTORY, MACROBLOCK_FEATURE_COUNT, MACROBLOCK_FEATURE_NAMES, MacroblockFeatureTracker } from './macroblock-features';
import { checkerboard, smoothGradient, withLostSlice } from './spec-helpers';

const W = 320;
const H = 192;

/** Clean content: a smooth gradient moved `shift` pixels. */
const smooth = (shift: number): Uint8Array => smoothGradient(W, H, shift);

/** The smooth plane with a run of 16×16 blocks along two macroblock rows replaced by flat or wrong blocks, as a lost slice leaves them. */
const corrupted = (shift: number): Uint8Array => withLostSlice(smooth(shift), W);

const at = (f: Float32Array, name: (typeof MACROBLOCK_FEATURE_NAMES)[number]): number => f[MACROBLOCK_FEATURE_NAMES.indexOf(name)] as number;

/** Features of the last of `planes`, fed in order to one tracker. */
function last(planes: Uint8Array[]): Float32Array {
  const tracker = new MacroblockFeatureTracker();
  let f: Float32Array = new Float32Array(0);
  for (const p of planes) f = tracker.next(p, W, H);
  return f;
}

describe('MacroblockFeatureTracker', () => {
  it('returns a fixed-length finite vector, with no temporal features on the first frame', () => {
    const f = new MacroblockFeatureTracker().next(corrupted(0), W, H);
    expect(f).toHaveLength(MACROBLOCK_FEATURE_COUNT);
    expect(Array.from(f).every(Number.isFinite)).toBe(true);
    expect(at(f, 'changeBlockShare')).toBe(0);
    expect(at(f, 'madLog')).toBe(0);
    expect(at(f, 'artifactBlockShareRise')).toBe(0);
    // The spatial features see the blocks already.
    expect(at(f, 'artifactBlockShare')).toBeGreaterThan(0.05);
  });

  it('finds no artifact or change edges in smooth moving content', () => {
    const clean = last([0, 1, 2, 3, 4].map(smooth));
    expect(at(clean, 'artifactBlockShare')).toBe(0);
    expect(at(clean, 'changeBlockShare')).toBe(0);
    expect(at(clean, 'changeMemory')).toBe(0);
    expect(at(clean, 'madLog')).toBeGreaterThan(0);
  });

  it('sees blocks that appear along macroblock rows, against the stream\'s own past', () => {
    const f = last([0, 1, 2, 3, 4].map(smooth).concat([corrupted(5)]));
    expect(at(f, 'changeBlockShare')).toBeGreaterThan(0.1);
    expect(at(f, 'changeRowMax')).toBeGreaterThan(0.6);
    expect(at(f, 'changeRunMax')).toBeGreaterThan(0.6);
    expect(at(f, 'artifactRowMaxRise')).toBeGreaterThan(0.6);
    expect(at(f, 'newArtifactBlockShare')).toBeGreaterThan(0.1);
    expect(at(f, 'changeMemory')).toBeGreaterThan(0.5);
  });

  it('remembers a burst for a while, decaying by DECAY per frame', () => {
    const tracker = new MacroblockFeatureTracker();
    for (let t = 0; t < 5; t++) tracker.next(smooth(t), W, H);
    const burst = at(tracker.next(corrupted(5), W, H), 'changeMemory');
    // The damage stays in place and then leaves in one step; memory only decays.
    const after = at(tracker.next(corrupted(5), W, H), 'changeMemory');
    expect(after).toBeCloseTo(DECAY * burst, 5);
  });

  it('judges a stream against its own history: a constantly blocky picture stops rising', () => {
    const planes = Array.from({ length: HISTORY + 2 }, () => corrupted(0));
    const f = last(planes);
    expect(at(f, 'artifactBlockShare')).toBeGreaterThan(0.05);
    expect(at(f, 'artifactBlockShareRise')).toBe(0);
    expect(at(f, 'newArtifactBlockShare')).toBe(0);
  });

  it('starts afresh on a size change and yields zeros for a plane too small to hold blocks', () => {
    const tracker = new MacroblockFeatureTracker();
    tracker.next(smooth(0), W, H);
    const small = new Uint8Array(64 * 64).fill(90);
    const f = tracker.next(small, 64, 64);
    expect(at(f, 'madLog')).toBe(0);
    const out = new Float32Array(MACROBLOCK_FEATURE_COUNT).fill(7);
    expect(tracker.next(new Uint8Array(16 * 16), 16, 16, out)).toBe(out);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });

  describe('texture: smears and stuck regions', () => {
    /** Live grain (±25 around mid-grey), different every frame: every block changes and has texture. */
    const grain = (seed: number): Uint8Array => {
      let x = (seed + 1) * 2654435761;
      return Uint8Array.from({ length: W * H }, () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return 103 + ((x >>> 16) % 51);
      });
    };
    /** Blocks 2–15 of macroblock rows 4–5 replaced: streaks (each row repeats the one above) or kept from `kept`. */
    const damage = (p: Uint8Array, kept?: Uint8Array): Uint8Array => {
      for (let y = 64; y < 96; y++) {
        const r = y * W;
        if (kept) p.set(kept.subarray(r + 32, r + 256), r + 32);
        else p.copyWithin(r + 32, r - W + 32, r - W + 256);
      }
      return p;
    };

    it('finds no collapsed or stuck blocks in live grain', () => {
      const f = last([0, 1, 2, 3, 4].map(grain));
      expect(at(f, 'collapseShare')).toBe(0);
      expect(at(f, 'stuckShare')).toBe(0);
      expect(at(f, 'textureMemory')).toBe(0);
    });

    it('sees a smear over grain as collapsed blocks along macroblock rows', () => {
      const f = last([0, 1, 2, 3, 4].map(grain).concat([damage(grain(5))]));
      // 28 of 240 blocks, 14 of the 20 in each of two rows.
      expect(at(f, 'collapseShare')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'collapseRowMax')).toBeCloseTo(14 / 20, 5);
      expect(at(f, 'collapseShareRise')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'newCollapseShare')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'textureMemory')).toBeGreaterThan(0.1);
      // Each row repeats the one above: the texture across is kept, so these are streaks.
      expect(at(f, 'streakShareRise')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'streakMemory')).toBeCloseTo(28 / 240, 5);
    });

    it('tells streaks from a flat patch or a cut to a flat picture, which lose texture both ways', () => {
      const flatPatch = grain(5);
      for (let y = 64; y < 96; y++) flatPatch.fill(128, y * W + 32, y * W + 256);
      const patched = last([0, 1, 2, 3, 4].map(grain).concat([flatPatch]));
      expect(at(patched, 'collapseShare')).toBeCloseTo(28 / 240, 5);
      expect(at(patched, 'streakShareRise')).toBe(0);
      const cut = last([0, 1, 2, 3, 4].map(grain).concat([new Uint8Array(W * H).fill(40)]));
      expect(at(cut, 'collapseShare')).toBe(1);
      expect(at(cut, 'streakShareRise')).toBe(0);
      expect(at(cut, 'streakMemory')).toBe(0);
    });

    it('keeps the memory of streaks while the damaged picture is copied on', () => {
      const planes = [0, 1, 2, 3, 4].map(grain);
      const streaked = damage(grain(5));
      const f = last(planes.concat([streaked, streaked.slice(), streaked.slice()]));
      expect(at(f, 'streakShareRise')).toBe(0);
      expect(at(f, 'streakMemory')).toBeCloseTo((28 / 240) * DECAY * DECAY, 5);
    });

    it('sees a region kept from the previous frame while the grain moves on as stuck', () => {
      const planes = [0, 1, 2, 3, 4].map(grain);
      const f = last(planes.concat([damage(grain(5), planes[4])]));
      expect(at(f, 'stuckShare')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'stuckRowMax')).toBeCloseTo(14 / 20, 5);
      expect(at(f, 'stuckShareRise')).toBeCloseTo(28 / 240, 5);
      expect(at(f, 'collapseShare')).toBe(0);
    });

    it('does not call a region stuck while the rest of the picture barely changes', () => {
      // A still picture whose codes flicker by 0–2 (a median block change of about one code,
      // below MIN_MOTION): a region kept from the previous frame is no sign of damage there.
      const still = grain(0);
      const flicker = (t: number): Uint8Array => still.map((v, i) => v + ((i * 7 + t) % 3));
      const planes = [0, 1, 2, 3].map(flicker);
      const f = last(planes.concat([damage(flicker(4), planes[3])]));
      expect(at(f, 'stuckShare')).toBe(0);
    });
  });

  it('tells a picture moved as a whole from one where something new appeared (changeUnexplained)', () => {
    const flags = (planes: Uint8Array[]): boolean[] => {
      const tracker = new MacroblockFeatureTracker();
      return planes.map((p) => {
        tracker.next(p, W, H);
        return tracker.changeUnexplained;
      });
    };
    const sliding = [0, 2, 4, 6, 8].map((shift) => checkerboard(W, H, shift));
    // The first frame has nothing to compare with; a still frame and a shifted one explain themselves.
    expect(flags([...sliding, sliding[4] as Uint8Array])).toEqual([false, false, false, false, false, false]);
    // A lost slice in the sliding picture is new; the frame after it, where the slice is repaired, too.
    expect(flags([sliding[0], sliding[1], withLostSlice(checkerboard(W, H, 4), W), sliding[3]] as Uint8Array[])).toEqual([false, false, true, true]);
    // A flat picture that brightens everywhere is no shift either.
    expect(flags([smooth(0), smooth(0).map((v) => v + 20)])).toEqual([false, true]);
  });

  it('counts the blocks whose change no shift explains, against the stream\'s past, up to a tenth of the blocks', () => {
    const sliding = [0, 2, 4, 6, 8, 10].map((shift) => checkerboard(W, H, shift));
    const clean = last(sliding);
    expect(at(clean, 'unexplainedShareRise')).toBe(0);
    expect(at(clean, 'unexplainedMemory')).toBe(0);
    // The lost slice's 28 of 240 blocks are new, counted up to 24 (10 %).
    const broken = [...sliding.slice(0, 5), withLostSlice(checkerboard(W, H, 10), W)];
    expect(at(last(broken), 'unexplainedShareRise')).toBeCloseTo(24 / 240, 5);
    // Repaired in the next frame (new again), then the memory decays while the picture slides on.
    const after = last([...broken, checkerboard(W, H, 12), checkerboard(W, H, 14)]);
    expect(at(after, 'unexplainedShareRise')).toBe(0);
    expect(at(after, 'unexplainedMemory')).toBeCloseTo(DECAY * (24 / 240), 5);
  });
});
