/**
 * Per-frame features of the macroblocking (transmission-corruption) model.
 *
 * H.264 damage comes in 16×16 macroblocks laid in raster order: from the first bad macroblock
 * the decoder conceals the rest of the slice, so corruption shows as runs of blocks along
 * macroblock rows whose edges sit exactly on the 16-pixel grid, appearing from one frame to the
 * next, and drifting until the next keyframe. The features look for exactly that, locally:
 *
 * - an *artifact edge* is a 16-pixel block edge whose luma step is much larger than the steps
 *   just beside it (a picture edge crossing the grid has neighbours as strong as itself);
 * - a *change edge* is the same test on the difference from the previous frame: content that
 *   moves changes smoothly across the grid, a block replaced by garbage changes in a square;
 * - a *collapsed* block lost its texture since the previous frame (a smear or a flat patch where
 *   there was detail: the decoder's intra prediction with no residual, or its concealment);
 * - a *stuck* block did not change while most of the picture did (a region the decoder kept
 *   from an earlier frame while the content moves or the grain changes);
 * - an *unexplained* block changed in a way that the previous frame, where it is or moved as a
 *   whole, does not explain (see `GlobalMotionTest`): in scrolling smooth content a concealed
 *   region has no edge and no lost texture, but it does not move with the picture;
 * - counts are taken per block (two or more artifact sides), per macroblock row (the worst row)
 *   and as the longest horizontal run of edges, then compared with the stream's own recent past
 *   (the median of the last {@link HISTORY} frames), because absolute values depend on the
 *   content (a test card is full of grid-aligned edges, a flat title card has none).
 *
 * Frame-wide averages were tried first and stayed at chance on unseen content (MODEL.md).
 */

import { GlobalMotionTest, UNEXPLAINED_BLOCK_RESIDUAL } from './global-motion';

/**
 * Luma the features need: the source's own size (`0×0`), deblocked as a viewer sees it. The
 * 16-pixel macroblock grid survives only an integer downscale, and no single fixed size is an
 * integer fraction of every source (640×360 is 1/2 of 720p but 1/3 of 1080p); sampling the
 * full-size plane sparsely keeps the cost low instead.
 */
export const MACROBLOCK_NEEDS = { width: 0, height: 0, deblocked: true } as const;

/** Names of the features, in the order {@link MacroblockFeatureTracker.next} writes them. */
export const MACROBLOCK_FEATURE_NAMES = [
  'artifactBlockShare', // blocks with ≥ 2 artifact edges
  'changeBlockShare', // blocks with ≥ 2 change edges
  'changeRowMax', // the worst macroblock row's share of blocks with ≥ 2 change edges
  'artifactRowMax', // the worst macroblock row's share of blocks with ≥ 2 artifact edges
  'changeRunMax', // longest horizontal run of change edges on one row boundary / blocks per row
  'artifactRunMax', // same for artifact edges
  'madLog', // log(1 + mean absolute luma change from the previous frame)
  'textureLog', // log(1 + mean luma step beside the block edges): how detailed the picture is
  'artifactBlockShareRise', // artifactBlockShare minus its median over the last HISTORY frames
  'changeBlockShareRise', // same for changeBlockShare
  'changeRowMaxRise', // same for changeRowMax
  'artifactRowMaxRise', // same for artifactRowMax
  'changeRunMaxRise', // same for changeRunMax
  'artifactRunMaxRise', // same for artifactRunMax
  'newArtifactBlockShare', // blocks with ≥ 2 artifact edges that had fewer in the previous frame
  'changeMemory', // max(changeBlockShareRise + changeRowMaxRise, DECAY × previous value)
  'runMemory', // max(changeRunMaxRise + artifactRunMaxRise, DECAY × previous value)
  'collapseShare', // blocks whose texture fell below COLLAPSE × its value in the previous frame
  'stuckShare', // blocks that changed less than STUCK × the frame's median block change
  'collapseRowMax', // the worst macroblock row's share of collapsed blocks
  'stuckRowMax', // the worst macroblock row's share of stuck blocks
  'collapseShareRise', // collapseShare minus its median over the last HISTORY frames
  'stuckShareRise', // same for stuckShare
  'collapseRowMaxRise', // same for collapseRowMax
  'stuckRowMaxRise', // same for stuckRowMax
  'textureMemory', // max(collapseShareRise + stuckShareRise, DECAY × previous value)
  'newCollapseShare', // collapsed blocks that were not collapsed in the previous frame
  'unexplainedShareRise', // blocks whose change the previous frame, still or moved as a whole, does not explain (up to UNEXPLAINED_CAP), minus their median over the last HISTORY frames
  'unexplainedMemory', // max(unexplainedShareRise, DECAY × previous value)
] as const;

/** Length of the feature vector. */
export const MACROBLOCK_FEATURE_COUNT = MACROBLOCK_FEATURE_NAMES.length;

/** Frames of the stream's past that the `…Rise` features compare against (2 s at 25 fps). */
export const HISTORY = 50;
/** Per-frame decay of the memory features: a burst of damage stays visible for about a second. */
export const DECAY = 0.92;

/** An edge step counts as an artifact above this many luma codes… */
const EDGE_MIN_STEP = 6;
/** …and above this multiple of (1 + the mean step beside it). */
const EDGE_RATIO = 2.5;
/** A block's texture (its smaller mean step, across or down) collapsed below this share of the previous frame's… */
const COLLAPSE = 0.3;
/** …when it had at least this much texture (luma codes per pixel step) before. */
const MIN_TEXTURE = 3;
/** A block is stuck when it changed by less than this share of the frame's median block change… */
const STUCK = 0.2;
/** …and that median is at least this many luma codes per pixel (the picture moves or has live grain). */
const MIN_MOTION = 3;
/** Indices of the raw values whose rise against the history is a feature (edge counts, then texture counts). */
const EDGE_RISE_OF = [0, 1, 2, 3, 4, 5] as const;
const TEXTURE_RISE_OF = [8, 9, 10, 11] as const;
const RAW_COUNT = 13;
/**
 * `Math.abs`, read once: the pixel loops call it millions of times per second, and a global
 * lookup of `Math` is slow wherever the code runs in a `vm` context (Jest runs every spec in one).
 */
const { abs } = Math;
const B = 16;
/**
 * Texture and block change are sampled on this lattice inside each block (64 points). A 4-pixel
 * lattice (16 points) costs 0.36 ms less per 720p frame but measured less stable (MODEL.md). The
 * texture pass is unrolled for this lattice and B = 16 (8 points per block row).
 */
const LATTICE = 2;
const LATTICE_SAMPLES = (B / LATTICE) ** 2;
/**
 * A frame's change is unexplained when more than this share of its blocks differ from the previous
 * frame, still or moved as a whole (see {@link GlobalMotionTest}): 0.2 %, so at 320×240 a single
 * block, at 1280×720 eight. Chosen on the validation set (MODEL.md "Motion test").
 */
const MACROBLOCK_UNEXPLAINED_FLOOR = 0.002;
/**
 * `unexplainedShareRise` counts the unexplained blocks up to this share of the frame's blocks:
 * enough for the damage that the other features miss (2–8 % of the blocks), while a frame of
 * wholly new content (a cut, noise) stops counting early. Not tuned.
 */
const UNEXPLAINED_CAP = 0.1;

/**
 * The macroblocking features of one stream, frame after frame: it keeps the previous frame's
 * luma, its per-block counts and {@link HISTORY} frames of raw values, so use one tracker per
 * stream. A frame of a different size starts the stream's history afresh.
 *
 * @example
 * const tracker = new MacroblockFeatureTracker();
 * for (const frame of frames) model.push(tracker.next(frame.luma, frame.width, frame.height));
 */
export class MacroblockFeatureTracker {
  private width = 0;
  private height = 0;
  private previous: Uint8Array | null = null;
  private previousCounts = new Uint8Array(0);
  private counts = new Uint8Array(0);
  private artifactLeft = new Uint8Array(0);
  private artifactTop = new Uint8Array(0);
  private changeLeft = new Uint8Array(0);
  private changeTop = new Uint8Array(0);
  /** Ring of raw values, HISTORY × RAW_COUNT. */
  private readonly history = new Float64Array(HISTORY * RAW_COUNT);
  private historyLength = 0;
  private historyNext = 0;
  private readonly sortScratch = new Float64Array(HISTORY);
  private readonly raw = new Float64Array(RAW_COUNT);
  private changeMemory = 0;
  private runMemory = 0;
  private textureMemory = 0;
  private unexplainedMemory = 0;
  /** Per block: its texture in the previous frame, and whether it was collapsed then. */
  private previousTexture = new Float32Array(0);
  private texture = new Float32Array(0);
  private previousCollapsed = new Uint8Array(0);
  private collapsed = new Uint8Array(0);
  /** Per block: mean absolute change from the previous frame. */
  private blockChange = new Float32Array(0);
  private readonly changeHistogram = new Uint32Array(256);
  private newCollapsed = 0;
  /** Per block of one macroblock row: its texture pass's sums across, down and of change. */
  private textureSums = new Int32Array(0);
  /** Per block of one macroblock row: its left edge's step sums (picture, beside, change, beside). */
  private edgeSums = new Int32Array(0);
  private readonly motion = new GlobalMotionTest();
  /** Frames compared with their previous one since the last reset (numbers them for {@link motion}). */
  private frame = 0;
  /** Scratch: indices of the blocks that changed (see {@link unexplained}). */
  private changedBlocks = new Int32Array(0);
  /**
   * Whether the last frame changed in more than {@link MACROBLOCK_UNEXPLAINED_FLOOR} of its blocks
   * in a way the previous frame, still or moved as a whole, does not explain: the evidence gate's
   * test that something new appeared (see {@link GlobalMotionTest}). False for a stream's first frame.
   */
  changeUnexplained = false;

  /**
   * Computes the {@link MACROBLOCK_FEATURE_COUNT} features of the stream's next luma plane (8-bit,
   * tightly packed, `width`×`height`, at the source's own size: see {@link MACROBLOCK_NEEDS}) and
   * remembers the plane (copied) for the next call. Writes into `out` when given and returns it.
   * The first frame, and the first after a size change, has no temporal features (0). Planes
   * smaller than 32×32 yield zeros.
   */
  next(plane: Uint8Array, width: number, height: number, out?: Float32Array): Float32Array {
    const f = out ?? new Float32Array(MACROBLOCK_FEATURE_COUNT);
    f.fill(0, 0, MACROBLOCK_FEATURE_COUNT);
    const bw = Math.floor(width / B);
    const bh = Math.floor(height / B);
    if (bw < 2 || bh < 2) return f;
    if (width !== this.width || height !== this.height || this.previous === null) this.reset(width, height);
    const previous = this.previous as Uint8Array;
    const hasPrevious = this.historyLength > 0;
    const raw = this.raw;
    this.measure(plane, hasPrevious ? previous : plane, width, bw, bh);
    this.measureTexture(plane, previous, width, bw, bh, hasPrevious);
    raw[12] = this.unexplained(plane, previous, width, height, bw * bh, hasPrevious) / (bw * bh);

    let newArtifacts = 0;
    if (hasPrevious) {
      for (let i = 0; i < bw * bh; i++) if (this.counts[i] >= 2 && this.previousCounts[i] < 2) newArtifacts++;
    }
    const rise = (k: number): number => (this.historyLength > 0 ? raw[k] - this.median(k) : 0);
    // Edge features (0–16): 8 raw values, 6 rises, newly artifacted blocks, 2 memories.
    for (let k = 0; k < 8; k++) f[k] = raw[k];
    EDGE_RISE_OF.forEach((k, j) => (f[8 + j] = rise(k)));
    f[14] = newArtifacts / (bw * bh);
    this.changeMemory = Math.max(f[9] + f[10], DECAY * this.changeMemory);
    this.runMemory = Math.max(f[12] + f[13], DECAY * this.runMemory);
    f[15] = this.changeMemory;
    f[16] = this.runMemory;
    // Texture features (17–26): 4 raw values, 4 rises, a memory, newly collapsed blocks.
    for (let k = 8; k < RAW_COUNT; k++) f[9 + k] = raw[k];
    TEXTURE_RISE_OF.forEach((k, j) => (f[21 + j] = rise(k)));
    this.textureMemory = Math.max(f[21] + f[22], DECAY * this.textureMemory);
    f[25] = this.textureMemory;
    f[26] = this.newCollapsed / (bw * bh);
    // Motion features (27–28): the rise of the unexplained blocks, and its memory.
    f[27] = rise(12);
    this.unexplainedMemory = Math.max(f[27], DECAY * this.unexplainedMemory);
    f[28] = this.unexplainedMemory;

    this.history.set(raw, this.historyNext * RAW_COUNT);
    this.historyNext = (this.historyNext + 1) % HISTORY;
    this.historyLength = Math.min(HISTORY, this.historyLength + 1);
    previous.set(plane.subarray(0, width * height));
    const swap = this.previousCounts;
    this.previousCounts = this.counts;
    this.counts = swap;
    const texture = this.previousTexture;
    this.previousTexture = this.texture;
    this.texture = texture;
    const collapsed = this.previousCollapsed;
    this.previousCollapsed = this.collapsed;
    this.collapsed = collapsed;
    return f;
  }

  /**
   * Sets {@link changeUnexplained} and returns the blocks that changed in a way the previous frame,
   * still or moved as a whole, does not explain, up to {@link UNEXPLAINED_CAP} of them (0 without a
   * previous frame). A still frame (no more than {@link MACROBLOCK_UNEXPLAINED_FLOOR} of the blocks
   * changed by more than {@link UNEXPLAINED_BLOCK_RESIDUAL}, from the block changes already
   * measured) needs no global-motion test: its changed blocks are the answer.
   */
  private unexplained(plane: Uint8Array, previous: Uint8Array, width: number, height: number, blocks: number, hasPrevious: boolean): number {
    this.changeUnexplained = false;
    if (!hasPrevious) return 0;
    const frame = this.frame++;
    const stopAbove = Math.floor(MACROBLOCK_UNEXPLAINED_FLOOR * blocks);
    const cap = Math.floor(UNEXPLAINED_CAP * blocks);
    const { blockChange } = this;
    const changed = this.changedBlocks.length >= blocks ? this.changedBlocks : (this.changedBlocks = new Int32Array(blocks));
    let changedCount = 0;
    for (let i = 0; i < blocks; i++) if ((blockChange[i] as number) > UNEXPLAINED_BLOCK_RESIDUAL) changed[changedCount++] = i;
    if (changedCount <= stopAbove) return changedCount;
    const count = this.motion.unexplainedBlocks(plane, previous, width, height, frame, changed, changedCount, stopAbove, cap, this.texture);
    this.changeUnexplained = count > stopAbove;
    return Math.min(count, cap);
  }

  private reset(width: number, height: number): void {
    const blocks = Math.floor(width / B) * Math.floor(height / B);
    this.width = width;
    this.height = height;
    this.previous = new Uint8Array(width * height);
    this.previousCounts = new Uint8Array(blocks);
    this.counts = new Uint8Array(blocks);
    this.artifactLeft = new Uint8Array(blocks);
    this.artifactTop = new Uint8Array(blocks);
    this.changeLeft = new Uint8Array(blocks);
    this.changeTop = new Uint8Array(blocks);
    this.previousTexture = new Float32Array(blocks);
    this.texture = new Float32Array(blocks);
    this.previousCollapsed = new Uint8Array(blocks);
    this.collapsed = new Uint8Array(blocks);
    this.blockChange = new Float32Array(blocks);
    this.historyLength = 0;
    this.historyNext = 0;
    this.frame = 0;
    this.changeMemory = 0;
    this.runMemory = 0;
    this.textureMemory = 0;
    this.unexplainedMemory = 0;
  }

  /** Median of raw value `k` over the history. */
  private median(k: number): number {
    const n = this.historyLength;
    const s = this.sortScratch.subarray(0, n);
    for (let i = 0; i < n; i++) s[i] = this.history[i * RAW_COUNT + k] as number;
    s.sort();
    return s[n >> 1] as number;
  }

  /**
   * Tests every block's left and top edge (8 of its 16 rows or columns) in the picture `p` and in
   * its difference from `q`, then counts per block, per row and along row boundaries into `raw`.
   */
  private measure(p: Uint8Array, q: Uint8Array, width: number, bw: number, bh: number): void {
    const { artifactLeft: aL, artifactTop: aT, changeLeft: cL, changeTop: cT, counts } = this;
    const W = width;
    const W2 = 2 * width;
    let change = 0;
    let beside = 0;
    // Left edges lattice row by lattice row across the frame (pixels in memory order), summing
    // into the macroblock row's blocks; then each block's top edge. Integer sums: the order
    // changes nothing but the time.
    const sums = this.edgeSums.length >= 4 * bw ? this.edgeSums : (this.edgeSums = new Int32Array(4 * bw));
    for (let by = 0; by < bh; by++) {
      const y0 = by * B;
      sums.fill(0, 0, 4 * bw);
      for (let y = y0; y < y0 + B; y += 2) {
        for (let bx = 1, k = 4, r = y * W + B; bx < bw; bx++, k += 4, r += B) {
          const a = p[r] as number;
          const b = p[r - 1] as number;
          const c = p[r + 1] as number;
          const d = p[r - 2] as number;
          const da = a - (q[r] as number);
          const db = b - (q[r - 1] as number);
          const dc = c - (q[r + 1] as number);
          const dd = d - (q[r - 2] as number);
          sums[k] = (sums[k] as number) + abs(a - b);
          sums[k + 1] = (sums[k + 1] as number) + abs(c - a) + abs(b - d);
          sums[k + 2] = (sums[k + 2] as number) + abs(da - db);
          sums[k + 3] = (sums[k + 3] as number) + abs(dc - da) + abs(db - dd);
          change += abs(da);
        }
      }
      for (let bx = 0; bx < bw; bx++) {
        const x0 = bx * B;
        const i = by * bw + bx;
        aL[i] = 0;
        cL[i] = 0;
        aT[i] = 0;
        cT[i] = 0;
        if (bx > 0) {
          const k = 4 * bx;
          const n = sums[k + 1] as number;
          beside += n / 16;
          if (isArtifact((sums[k] as number) / 8, n / 16)) aL[i] = 1;
          if (isArtifact((sums[k + 2] as number) / 8, (sums[k + 3] as number) / 16)) cL[i] = 1;
        }
        if (by > 0) {
          let s = 0;
          let n = 0;
          let ds = 0;
          let dn = 0;
          for (let x = x0; x < x0 + B; x += 2) {
            const r = y0 * W + x;
            const a = p[r] as number;
            const b = p[r - W] as number;
            const c = p[r + W] as number;
            const d = p[r - W2] as number;
            const da = a - (q[r] as number);
            const db = b - (q[r - W] as number);
            const dc = c - (q[r + W] as number);
            const dd = d - (q[r - W2] as number);
            s += abs(a - b);
            n += abs(c - a) + abs(b - d);
            ds += abs(da - db);
            dn += abs(dc - da) + abs(db - dd);
          }
          if (isArtifact(s / 8, n / 16)) aT[i] = 1;
          if (isArtifact(ds / 8, dn / 16)) cT[i] = 1;
        }
      }
    }

    const blocks = bw * bh;
    let artifactBlocks = 0;
    let changeBlocks = 0;
    let artifactRowMax = 0;
    let changeRowMax = 0;
    let artifactRun = 0;
    let changeRun = 0;
    for (let by = 0; by < bh; by++) {
      let rowArtifacts = 0;
      let rowChanges = 0;
      let run = 0;
      let changeRunNow = 0;
      for (let bx = 0; bx < bw; bx++) {
        const i = by * bw + bx;
        const right = bx + 1 < bw;
        const below = by + 1 < bh;
        const a = (aL[i] as number) + (aT[i] as number) + (right ? (aL[i + 1] as number) : 0) + (below ? (aT[i + bw] as number) : 0);
        const c = (cL[i] as number) + (cT[i] as number) + (right ? (cL[i + 1] as number) : 0) + (below ? (cT[i + bw] as number) : 0);
        counts[i] = a;
        if (a >= 2) rowArtifacts++;
        if (c >= 2) rowChanges++;
        if (by > 0) {
          run = aT[i] ? run + 1 : 0;
          changeRunNow = cT[i] ? changeRunNow + 1 : 0;
          if (run > artifactRun) artifactRun = run;
          if (changeRunNow > changeRun) changeRun = changeRunNow;
        }
      }
      artifactBlocks += rowArtifacts;
      changeBlocks += rowChanges;
      if (rowArtifacts / bw > artifactRowMax) artifactRowMax = rowArtifacts / bw;
      if (rowChanges / bw > changeRowMax) changeRowMax = rowChanges / bw;
    }
    const leftEdges = (bw - 1) * bh;
    const raw = this.raw;
    raw[0] = artifactBlocks / blocks;
    raw[1] = changeBlocks / blocks;
    raw[2] = changeRowMax;
    raw[3] = artifactRowMax;
    raw[4] = changeRun / bw;
    raw[5] = artifactRun / bw;
    raw[6] = Math.log1p(change / (leftEdges * 8));
    raw[7] = Math.log1p(beside / leftEdges);
  }

  /**
   * Measures every block's texture (the smaller of its mean step across and down, on a
   * {@link LATTICE}-pixel lattice) and its mean change from `q`, then counts collapsed and stuck
   * blocks (overall and in the worst macroblock row) into `raw[8…11]`. Without a previous frame
   * nothing is collapsed or stuck.
   */
  private measureTexture(p: Uint8Array, q: Uint8Array, width: number, bw: number, bh: number, hasPrevious: boolean): void {
    const { texture, previousTexture, collapsed, previousCollapsed, blockChange, changeHistogram } = this;
    const W = width;
    changeHistogram.fill(0);
    // Lattice row by lattice row across the whole frame, summing into the macroblock row's blocks:
    // the pixels are read in memory order, two lattice points per step. The sums are integers, so
    // the order changes nothing but the time (≈ 8 % of the features' cost, `npm run bench:macroblocking`).
    const sums = this.textureSums.length >= 3 * bw ? this.textureSums : (this.textureSums = new Int32Array(3 * bw));
    for (let by = 0; by < bh; by++) {
      sums.fill(0, 0, 3 * bw);
      for (let y = by * B + 1; y < by * B + B; y += LATTICE) {
        let r = y * W + 1;
        for (let bx = 0, k = 0; bx < bw; bx++, k += 3, r += B) {
          // The block's 8 lattice points on this row (r, r + 2, …, r + 14), read once: the loop
          // this replaced cost ≈ 5 % more of the features' time (`npm run bench:macroblocking`).
          const u = r - W;
          const a0 = p[r] as number;
          const a1 = p[r + 2] as number;
          const a2 = p[r + 4] as number;
          const a3 = p[r + 6] as number;
          const a4 = p[r + 8] as number;
          const a5 = p[r + 10] as number;
          const a6 = p[r + 12] as number;
          const a7 = p[r + 14] as number;
          sums[k] = (sums[k] as number) + rowDifference(a0, a1, a2, a3, a4, a5, a6, a7, p, r - 1);
          sums[k + 1] = (sums[k + 1] as number) + rowDifference(a0, a1, a2, a3, a4, a5, a6, a7, p, u);
          sums[k + 2] = (sums[k + 2] as number) + rowDifference(a0, a1, a2, a3, a4, a5, a6, a7, q, r);
        }
      }
      for (let bx = 0, k = 0; bx < bw; bx++, k += 3) {
        const i = by * bw + bx;
        const change = sums[k + 2] as number;
        texture[i] = Math.min(sums[k] as number, sums[k + 1] as number) / LATTICE_SAMPLES;
        blockChange[i] = change / LATTICE_SAMPLES;
        changeHistogram[Math.min(255, Math.floor(change / LATTICE_SAMPLES))]++;
      }
    }
    const blocks = bw * bh;
    let medianChange = 0;
    for (let seen = 0; medianChange < 255; medianChange++) {
      seen += changeHistogram[medianChange] as number;
      if (seen > blocks >> 1) break;
    }
    const moving = hasPrevious && medianChange >= MIN_MOTION;
    let collapsedBlocks = 0;
    let stuckBlocks = 0;
    let collapseRowMax = 0;
    let stuckRowMax = 0;
    this.newCollapsed = 0;
    for (let by = 0; by < bh; by++) {
      let rowCollapsed = 0;
      let rowStuck = 0;
      for (let bx = 0; bx < bw; bx++) {
        const i = by * bw + bx;
        const before = previousTexture[i] as number;
        const isCollapsed = hasPrevious && before >= MIN_TEXTURE && (texture[i] as number) < COLLAPSE * before;
        collapsed[i] = isCollapsed ? 1 : 0;
        if (isCollapsed) {
          rowCollapsed++;
          if (!previousCollapsed[i]) this.newCollapsed++;
        }
        if (moving && (blockChange[i] as number) < STUCK * medianChange) rowStuck++;
      }
      collapsedBlocks += rowCollapsed;
      stuckBlocks += rowStuck;
      if (rowCollapsed / bw > collapseRowMax) collapseRowMax = rowCollapsed / bw;
      if (rowStuck / bw > stuckRowMax) stuckRowMax = rowStuck / bw;
    }
    const raw = this.raw;
    raw[8] = collapsedBlocks / blocks;
    raw[9] = stuckBlocks / blocks;
    raw[10] = collapseRowMax;
    raw[11] = stuckRowMax;
  }
}

/**
 * Σ |a_j − s[o + 2j]| over j = 0…7: one block row's 8 lattice points (`a0`…`a7`) against the
 * pixels of `s` two apart from `o` (the pixels to their left, above them, or in the previous frame).
 */
function rowDifference(a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number, s: Uint8Array, o: number): number {
  return (
    abs(a0 - (s[o] as number)) +
    abs(a1 - (s[o + 2] as number)) +
    abs(a2 - (s[o + 4] as number)) +
    abs(a3 - (s[o + 6] as number)) +
    abs(a4 - (s[o + 8] as number)) +
    abs(a5 - (s[o + 10] as number)) +
    abs(a6 - (s[o + 12] as number)) +
    abs(a7 - (s[o + 14] as number))
  );
}

function isArtifact(step: number, beside: number): boolean {
  return step > EDGE_MIN_STEP && step > EDGE_RATIO * (beside + 1);
}
