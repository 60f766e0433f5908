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
 * - a *streaked* block is a collapsed block whose 4×4-pixel cells still step one way (across or
 *   down) and hardly the other: intra prediction from damaged data, with no residual, draws bands
 *   where grain or detail was; a cut to a flat picture or a fade leaves even cells instead;
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
import { LEFT_ARTIFACT, LEFT_CHANGE, MacroblockKernels, TEXTURE_SUMS, TOP_ARTIFACT, TOP_CHANGE } from './macroblock-kernels';

/**
 * Luma the features need: the source's own size (`0×0`), deblocked as a viewer sees it. The
 * 16-pixel macroblock grid survives only an integer downscale, and no single fixed size is an
 * integer fraction of every source (640×360 is 1/2 of 720p but 1/3 of 1080p); sampling the
 * full-size plane sparsely keeps the cost low instead. With the decoder's error reports, which the
 * `DecoderReportGate` takes as a hint.
 */
export const MACROBLOCK_NEEDS = { width: 0, height: 0, deblocked: true, decoderReports: true } as const;

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
  'streakShareRise', // collapsed blocks whose 4×4-pixel cell means step ≥ STREAK_STEP one way and < STREAK_RATIO × that the other, minus their median over the last HISTORY frames
  'streakMemory', // max(streakShareRise, DECAY × previous value)
] as const;

/** Length of the feature vector. */
export const MACROBLOCK_FEATURE_COUNT = MACROBLOCK_FEATURE_NAMES.length;

/** Frames of the stream's past that the `…Rise` features compare against (2 s at 25 fps). */
export const HISTORY = 50;
/** Per-frame decay of the memory features: a burst of damage stays visible for about a second. */
export const DECAY = 0.92;

// An edge's mean step counts as an artifact above 6 luma codes and above 2.5 × (1 + the mean step
// beside it): the WebAssembly edge pass applies the test (`$artifact` in macroblock-kernels.wat).
/** A block's texture (its smaller mean step, across or down) collapsed below this share of the previous frame's… */
const COLLAPSE = 0.3;
/** …when it had at least this much texture (luma codes per pixel step) before. */
const MIN_TEXTURE = 3;
/**
 * A collapsed block is streaked when the means of its 4×4-pixel cells step by at least this many
 * luma codes one way (across or down) on average… (bands drawn by intra prediction are wider than
 * the 2-pixel lattice the texture is measured on, so the block looks flat there).
 */
const STREAK_STEP = 0.5;
/** …and by less than this share of that the other way. */
const STREAK_RATIO = 0.25;
/** A block is stuck when it changed by less than this share of the frame's median block change… */
const STUCK = 0.2;
/** …and that median is at least this many luma codes per pixel (the picture moves or has live grain). */
const MIN_MOTION = 3;
/** Indices of the raw values whose rise against the history is a feature (edge counts, then texture counts). */
const EDGE_RISE_OF = [0, 1, 2, 3, 4, 5] as const;
const TEXTURE_RISE_OF = [8, 9, 10, 11] as const;
const RAW_COUNT = 14;
const B = 16;
/**
 * Texture and block change are sampled on a 2-pixel lattice inside each block (64 points; the
 * WebAssembly texture pass is written for it). A 4-pixel lattice (16 points) measured less stable
 * (MODEL.md).
 */
const LATTICE_SAMPLES = 64;
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
  /** The current and previous luma planes, and the pixel passes that read them. */
  private readonly kernels = new MacroblockKernels();
  private previousCounts = new Uint8Array(0);
  private counts = new Uint8Array(0);
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
  private streakMemory = 0;
  /** Per block: its texture in the previous frame, and whether it was collapsed then. */
  private previousTexture = new Float32Array(0);
  private texture = new Float32Array(0);
  private previousCollapsed = new Uint8Array(0);
  private collapsed = new Uint8Array(0);
  /** Scratch: the 16 cell sums of one block (see {@link streaked}). */
  private readonly cellSums = new Float64Array(16);
  /** Per block: mean absolute change from the previous frame. */
  private blockChange = new Float32Array(0);
  private readonly changeHistogram = new Uint32Array(256);
  private newCollapsed = 0;
  private readonly motion = new GlobalMotionTest(this.kernels);
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
    if (width !== this.width || height !== this.height) this.reset(width, height);
    const { kernels } = this;
    kernels.current.set(plane.subarray(0, width * height));
    const hasPrevious = this.historyLength > 0;
    const raw = this.raw;
    this.measure(width, bw, bh, hasPrevious);
    this.measureTexture(bw, bh, hasPrevious);
    raw[12] = this.unexplained(kernels.current, kernels.previous, width, height, bw * bh, hasPrevious) / (bw * bh);

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
    for (let k = 8; k < 12; k++) f[9 + k] = raw[k];
    TEXTURE_RISE_OF.forEach((k, j) => (f[21 + j] = rise(k)));
    this.textureMemory = Math.max(f[21] + f[22], DECAY * this.textureMemory);
    f[25] = this.textureMemory;
    f[26] = this.newCollapsed / (bw * bh);
    // Motion features (27–28): the rise of the unexplained blocks, and its memory.
    f[27] = rise(12);
    this.unexplainedMemory = Math.max(f[27], DECAY * this.unexplainedMemory);
    f[28] = this.unexplainedMemory;
    // Streak features (29–30): the rise of the blocks collapsed into streaks, and its memory.
    f[29] = rise(13);
    this.streakMemory = Math.max(f[29], DECAY * this.streakMemory);
    f[30] = this.streakMemory;

    this.history.set(raw, this.historyNext * RAW_COUNT);
    this.historyNext = (this.historyNext + 1) % HISTORY;
    this.historyLength = Math.min(HISTORY, this.historyLength + 1);
    kernels.swap();
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
    this.kernels.resize(width, height);
    this.previousCounts = new Uint8Array(blocks);
    this.counts = new Uint8Array(blocks);
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
    this.streakMemory = 0;
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
   * Tests every block's left and top edge (8 of its 16 rows or columns) in the current picture and
   * in its difference from the previous one (from itself for a stream's first frame), then counts
   * per block, per row and along row boundaries into `raw`.
   */
  private measure(width: number, bw: number, bh: number, hasPrevious: boolean): void {
    const { counts, kernels } = this;
    const { change, beside } = kernels.edges(width, bw, bh, !hasPrevious);
    const flags = kernels.edgeFlags;
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
        // A block's sides: its own left and top edges, and its right and bottom neighbours' left and top.
        const own = flags[i] as number;
        const rightFlags = right ? (flags[i + 1] as number) : 0;
        const belowFlags = below ? (flags[i + bw] as number) : 0;
        const a = bit(own, LEFT_ARTIFACT) + bit(own, TOP_ARTIFACT) + bit(rightFlags, LEFT_ARTIFACT) + bit(belowFlags, TOP_ARTIFACT);
        const c = bit(own, LEFT_CHANGE) + bit(own, TOP_CHANGE) + bit(rightFlags, LEFT_CHANGE) + bit(belowFlags, TOP_CHANGE);
        counts[i] = a;
        if (a >= 2) rowArtifacts++;
        if (c >= 2) rowChanges++;
        if (by > 0) {
          run = own & TOP_ARTIFACT ? run + 1 : 0;
          changeRunNow = own & TOP_CHANGE ? changeRunNow + 1 : 0;
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
    raw[7] = Math.log1p(beside / 16 / leftEdges);
  }

  /**
   * Measures every block's texture (the smaller of its mean step across and down, on the 2-pixel
   * lattice) and its mean change from the previous frame, then counts collapsed and stuck blocks
   * (overall and in the worst macroblock row) into `raw[8…11]`, and the collapsed blocks that are
   * streaked into `raw[13]` (only collapsed blocks are read again, so a clean frame costs nothing
   * more). Without a previous frame nothing is collapsed or stuck.
   */
  private measureTexture(bw: number, bh: number, hasPrevious: boolean): void {
    const { texture, previousTexture, collapsed, previousCollapsed, blockChange, changeHistogram, kernels } = this;
    changeHistogram.fill(0);
    kernels.texture(this.width, bw, bh);
    const sums = kernels.textureSums;
    for (let i = 0, k = 0; i < bw * bh; i++, k += TEXTURE_SUMS) {
      const change = sums[k + 2] as number;
      texture[i] = Math.min(sums[k] as number, sums[k + 1] as number) / LATTICE_SAMPLES;
      blockChange[i] = change / LATTICE_SAMPLES;
      changeHistogram[Math.min(255, Math.floor(change / LATTICE_SAMPLES))]++;
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
    let streakedBlocks = 0;
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
          if (streaked(kernels.current, this.width, bx, by, this.cellSums)) streakedBlocks++;
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
    raw[13] = streakedBlocks / blocks;
  }
}

/**
 * Whether block (`bx`, `by`) of `plane` is streaked: the means of its 4×4-pixel cells step by at
 * least {@link STREAK_STEP} codes one way (across or down) on average and by less than
 * {@link STREAK_RATIO} × that the other way. `cells` is scratch for the 16 cell sums.
 */
function streaked(plane: Uint8Array, width: number, bx: number, by: number, cells: Float64Array): boolean {
  cells.fill(0);
  for (let y = 0; y < B; y++) {
    const row = (by * B + y) * width + bx * B;
    const cell = (y >> 2) * 4;
    for (let x = 0; x < B; x++) cells[cell + (x >> 2)] += plane[row + x] as number;
  }
  let across = 0;
  let down = 0;
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 3; b++) {
      across += Math.abs((cells[a * 4 + b + 1] as number) - (cells[a * 4 + b] as number));
      down += Math.abs((cells[(b + 1) * 4 + a] as number) - (cells[b * 4 + a] as number));
    }
  }
  // Sums of 16 pixels, 12 neighbouring pairs each way: mean steps of the cell means.
  const larger = Math.max(across, down) / (16 * 12);
  const smaller = Math.min(across, down) / (16 * 12);
  return larger >= STREAK_STEP && smaller < STREAK_RATIO * larger;
}

/** 1 when `flags` has `bit`, else 0. */
function bit(flags: number, bit: number): number {
  return flags & bit ? 1 : 0;
}
