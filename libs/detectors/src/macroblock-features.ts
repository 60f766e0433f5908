/**
 * Per-frame features of the macroblocking (transmission-corruption) model.
 *
 * H.264 decodes damage in units of 16×16 macroblocks: a lost or garbled slice leaves blocks of
 * wrong or flat grey content, smeared blocks and blocks copied to the wrong place, all with their
 * edges on the 16-pixel grid, until the next keyframe. The features measure exactly that on the
 * luma plane at the source's own size, sampled sparsely (4 rows and 4 columns per block) so a
 * 1280×720 frame costs a few hundred µs in Node.
 */

/**
 * Luma the features need: the source's own size (`0×0`), deblocked as a viewer sees it. The
 * 16-pixel macroblock grid survives only an integer downscale, and no single fixed size is an
 * integer fraction of every source (640×360 is 1/2 of 720p but 1/3 of 1080p, where blocks
 * would be 5.33 px wide and fall off any grid); sampling the full-size plane sparsely keeps
 * the cost low instead.
 */
export const MACROBLOCK_NEEDS = { width: 0, height: 0, deblocked: true } as const;

/** Names of the features, in the order {@link macroblockFeatures} writes them. */
export const MACROBLOCK_FEATURE_NAMES = [
  'grid16Ratio', // log((1 + mean step on 16-px block edges) / (1 + mean step off the 4-px grid))
  'grid8Ratio', // same for the 8-px mid-block lines
  'strongEdgeShare', // blocks with a left or top edge much stronger than their inside
  'flatShare', // blocks that are almost constant (sampled std < 1.5 codes)
  'flatEdgeShare', // flat blocks that also have a strong edge (grey or single-colour blocks)
  'edgeMeanLog', // log(1 + mean step on 16-px edges)
  'offGridMeanLog', // log(1 + mean step off the grid): texture of the picture
  'meanLuma', // mean luma / 255
  'changedShare', // blocks whose mean absolute change from the previous frame exceeds 20
  'isolatedChangeShare', // changed blocks with an unchanged 4-neighbour: block-aligned change
  'madLog', // log(1 + mean absolute change from the previous frame)
  'strongChangedShare', // blocks both changed and with a strong edge
  'rowSmearShare', // blocks whose sampled rows are identical but columns vary (vertical smear)
  'edgeCv', // spread of block edge strength across blocks (std/mean), high for isolated blocks
  'grid16RatioDelta', // grid16Ratio minus the previous frame's: blocks appearing or vanishing
  'strongEdgeShareDelta', // strongEdgeShare minus the previous frame's
  'flatShareDelta', // flatShare minus the previous frame's
  'flatEdgeShareDelta', // flatEdgeShare minus the previous frame's
  'edgeCvDelta', // edgeCv minus the previous frame's
  'newStrongShare', // blocks with a strong edge now that had none in the previous frame
  'newFlatShare', // blocks flat now that were not flat in the previous frame
] as const;

/** Features of the previous frame that the deltas compare against. */
const DELTA_OF = [0, 2, 3, 4, 13] as const;
const SPATIAL_COUNT = 14;

/** Length of the feature vector {@link macroblockFeatures} returns. */
export const MACROBLOCK_FEATURE_COUNT = MACROBLOCK_FEATURE_NAMES.length;

const B = 16;
// Sample offsets inside a block: rows/columns for edge steps, pixels for flatness and change.
const S0 = 2;
const S1 = 6;
const S2 = 10;
const S3 = 14;

let madScratch = new Float32Array(0);
// Per-block flags (bit 0 strong edge, bit 1 flat) of the current plane and of the previous one.
let flagScratch = new Uint8Array(0);
let previousFlags = new Uint8Array(0);
const previousScratch = new Float32Array(32);

/**
 * Computes the {@link MACROBLOCK_FEATURE_COUNT} features of one luma plane (8-bit, tightly packed,
 * `width`×`height`, at the source's own size, see {@link MACROBLOCK_NEEDS}). `previous` is the
 * previous frame's plane of the same size, or null for the first frame (temporal features are 0).
 * Writes into `out` when given (it must hold at least MACROBLOCK_FEATURE_COUNT values) and
 * returns it. The delta features compute the spatial features of `previous` as well, about
 * doubling the cost of a frame that has one. Planes smaller than 32×32 yield all zeros.
 */
export function macroblockFeatures(plane: Uint8Array, width: number, height: number, previous: Uint8Array | null, out?: Float32Array): Float32Array {
  const f = out ?? new Float32Array(MACROBLOCK_FEATURE_COUNT);
  f.fill(0, 0, MACROBLOCK_FEATURE_COUNT);
  const bw = Math.floor(width / B);
  const bh = Math.floor(height / B);
  if (bw < 2 || bh < 2) return f;
  const blocks = bw * bh;
  if (madScratch.length < blocks) madScratch = new Float32Array(blocks);
  if (flagScratch.length < blocks) flagScratch = new Uint8Array(blocks);
  const flags = flagScratch;
  const mads = madScratch;
  const prev = previous !== null && previous.length >= width * height ? previous : null;

  let edgeSum = 0;
  let edgeN = 0;
  let mid8Sum = 0;
  let offSum = 0;
  let offN = 0;
  let lumaSum = 0;
  let strong = 0;
  let flat = 0;
  let flatEdge = 0;
  let changed = 0;
  let madSum = 0;
  let strongChanged = 0;
  let smear = 0;
  let edgeSq = 0;
  let edgeBlocks = 0;

  for (let by = 0; by < bh; by++) {
    const y0 = by * B;
    for (let bx = 0; bx < bw; bx++) {
      const x0 = bx * B;
      // Vertical steps along 4 sampled rows: block's left edge, mid line, two off-grid steps.
      let eL = 0;
      let m8 = 0;
      let off = 0;
      // Sampled 4×4 pixels for flatness, smear and temporal change.
      let s = 0;
      let s2 = 0;
      let mad = 0;
      let rowVar = 0;
      let colVar = 0;
      for (let k = 0; k < 4; k++) {
        const y = y0 + S0 + 4 * k;
        const r = y * width + x0;
        if (bx > 0) eL += Math.abs(plane[r] - plane[r - 1]);
        m8 += Math.abs(plane[r + 8] - plane[r + 7]);
        off += Math.abs(plane[r + 3] - plane[r + 2]) + Math.abs(plane[r + 11] - plane[r + 10]);
        const a = plane[r + S0];
        const b = plane[r + S1];
        const c = plane[r + S2];
        const d = plane[r + S3];
        s += a + b + c + d;
        s2 += a * a + b * b + c * c + d * d;
        colVar += Math.abs(a - b) + Math.abs(b - c) + Math.abs(c - d);
        if (prev !== null) {
          mad += Math.abs(a - prev[r + S0]) + Math.abs(b - prev[r + S1]) + Math.abs(c - prev[r + S2]) + Math.abs(d - prev[r + S3]);
        }
      }
      // Horizontal steps along 4 sampled columns: top edge, mid line, two off-grid steps.
      let eT = 0;
      for (let k = 0; k < 4; k++) {
        const x = x0 + S0 + 4 * k;
        if (by > 0) eT += Math.abs(plane[y0 * width + x] - plane[(y0 - 1) * width + x]);
        m8 += Math.abs(plane[(y0 + 8) * width + x] - plane[(y0 + 7) * width + x]);
        off += Math.abs(plane[(y0 + 3) * width + x] - plane[(y0 + 2) * width + x]) + Math.abs(plane[(y0 + 11) * width + x] - plane[(y0 + 10) * width + x]);
        rowVar += Math.abs(plane[(y0 + S0) * width + x] - plane[(y0 + S1) * width + x]) + Math.abs(plane[(y0 + S2) * width + x] - plane[(y0 + S3) * width + x]);
      }
      const edgeCount = (bx > 0 ? 4 : 0) + (by > 0 ? 4 : 0);
      const e = edgeCount > 0 ? (eL + eT) / edgeCount : 0;
      const inside = off / 16;
      if (edgeCount > 0) {
        edgeSum += eL + eT;
        edgeN += edgeCount;
        edgeSq += e * e;
        edgeBlocks++;
      }
      mid8Sum += m8;
      offSum += off;
      offN += 16;
      lumaSum += s;
      const meanPx = s / 16;
      const variance = s2 / 16 - meanPx * meanPx;
      const isStrong = Math.max(bx > 0 ? eL / 4 : 0, by > 0 ? eT / 4 : 0) > Math.max(12, 3 * (inside + 2));
      const isFlat = variance < 2.25;
      if (isStrong) strong++;
      if (isFlat) flat++;
      if (isFlat && isStrong) flatEdge++;
      flags[by * bw + bx] = (isStrong ? 1 : 0) | (isFlat ? 2 : 0);
      if (rowVar <= 2 && colVar >= 24) smear++;
      const blockMad = mad / 16;
      mads[by * bw + bx] = blockMad;
      madSum += blockMad;
      if (blockMad > 20) {
        changed++;
        if (isStrong) strongChanged++;
      }
    }
  }

  let isolated = 0;
  if (prev !== null && changed > 0) {
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        const i = by * bw + bx;
        if (mads[i] <= 20) continue;
        if ((bx > 0 && mads[i - 1] < 4) || (bx + 1 < bw && mads[i + 1] < 4) || (by > 0 && mads[i - bw] < 4) || (by + 1 < bh && mads[i + bw] < 4)) {
          isolated++;
        }
      }
    }
  }

  const edgeMean = edgeN > 0 ? edgeSum / edgeN : 0;
  const offMean = offSum / offN;
  const mid8Mean = mid8Sum / (8 * blocks);
  const eMean = edgeBlocks > 0 ? edgeSum / edgeN : 0;
  const eVar = edgeBlocks > 0 ? Math.max(0, edgeSq / edgeBlocks - eMean * eMean) : 0;
  f[0] = Math.log((1 + edgeMean) / (1 + offMean));
  f[1] = Math.log((1 + mid8Mean) / (1 + offMean));
  f[2] = strong / blocks;
  f[3] = flat / blocks;
  f[4] = flatEdge / blocks;
  f[5] = Math.log1p(edgeMean);
  f[6] = Math.log1p(offMean);
  f[7] = lumaSum / (16 * blocks) / 255;
  f[8] = prev !== null ? changed / blocks : 0;
  f[9] = prev !== null ? isolated / blocks : 0;
  f[10] = prev !== null ? Math.log1p(madSum / blocks) : 0;
  f[11] = prev !== null ? strongChanged / blocks : 0;
  f[12] = smear / blocks;
  f[13] = Math.sqrt(eVar) / (1 + eMean);
  if (prev !== null) {
    // The spatial features of the previous frame (it has no previous frame itself).
    // Swap the flag maps so the call on the previous plane keeps this plane's flags intact.
    const current = flagScratch;
    flagScratch = previousFlags;
    macroblockFeatures(prev, width, height, null, previousScratch);
    previousFlags = flagScratch;
    flagScratch = current;
    DELTA_OF.forEach((k, i) => (f[SPATIAL_COUNT + i] = f[k] - previousScratch[k]));
    let newStrong = 0;
    let newFlat = 0;
    for (let i = 0; i < blocks; i++) {
      const now = current[i];
      const before = previousFlags[i];
      if (now & 1 && !(before & 1)) newStrong++;
      if (now & 2 && !(before & 2)) newFlat++;
    }
    f[SPATIAL_COUNT + DELTA_OF.length] = newStrong / blocks;
    f[SPATIAL_COUNT + DELTA_OF.length + 1] = newFlat / blocks;
  }
  return f;
}
