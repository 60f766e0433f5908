/**
 * The macroblocking features' pixel passes in WebAssembly with 128-bit SIMD
 * (`macroblock-kernels.wat`; `npm run build:wasm` assembles it into `macroblock-kernels-wasm.ts`).
 * They sum the same lattice points as the scalar TypeScript passes they replaced, in integers, so
 * the features are the same bit for bit, at a fraction of the cost (MODEL.md "Cost").
 */
import { profileLines } from './global-motion';
import { MACROBLOCK_KERNELS_WASM } from './macroblock-kernels-wasm';

/** Per block, the texture pass writes: Σ step across, Σ step down, Σ change from the previous frame, and a 0. */
export const TEXTURE_SUMS = 4;
/** Bits of a block's {@link MacroblockKernels.edgeFlags}. */
export const LEFT_ARTIFACT = 1;
export const LEFT_CHANGE = 2;
export const TOP_ARTIFACT = 4;
export const TOP_CHANGE = 8;
/** A plane is read up to 16 bytes past its end (a 16-byte segment's odd bytes are dropped). */
const PAD = 16;
const PAGE = 65_536;

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  texture(p: number, q: number, width: number, bw: number, bh: number, out: number): void;
  edges(p: number, q: number, width: number, bw: number, bh: number, flags: number, totals: number): void;
  profiles(p: number, width: number, height: number, rows: number, nrows: number, first: number, step: number, columns: number, col: number, row: number): void;
  unexplained(p: number, q: number, width: number, height: number, bw: number, changed: number, count: number, texture: number, dx: number, dy: number, stopAbove: number): number;
}

/** Profiles of one picture in WebAssembly memory (see {@link MacroblockKernels.profiles}). */
export interface KernelProfiles {
  columnGradient: Int32Array;
  rowGradient: Int32Array;
}

/** The part of the `WebAssembly` global used here (the workspace's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
let compiled: object | null = null;

/** The module, compiled once per process (1.5 kB; synchronous compilation is allowed in Node). */
function kernelModule(): object {
  compiled ??= new wasm.Module(Buffer.from(MACROBLOCK_KERNELS_WASM, 'base64'));
  return compiled;
}

/**
 * One stream's WebAssembly memory: two frame slots (the current and the previous luma plane,
 * swapped after every frame instead of copied) and the per-block sums of the two passes.
 *
 * @example
 * const kernels = new MacroblockKernels();
 * kernels.resize(width, height);
 * kernels.current.set(plane);
 * kernels.texture(width, bw, bh); // kernels.textureSums[TEXTURE_SUMS × block + k]
 * kernels.swap();
 */
export class MacroblockKernels {
  private readonly exports: KernelExports;
  private slots: [number, number] = [0, 0];
  private textureOut = 0;
  private edgeOut = 0;
  private totalsOut = 0;
  private profileOut: [number, number] = [0, 0];
  private profileRowsOut = 0;
  private changedOut = 0;
  private textureIn = 0;
  private width = 0;
  private height = 0;
  private profileLayout = profileLines(0, 0);
  /** Two sets of projection profiles, for the motion test's current and previous picture. */
  profileSets: [KernelProfiles, KernelProfiles] = [
    { columnGradient: new Int32Array(0), rowGradient: new Int32Array(0) },
    { columnGradient: new Int32Array(0), rowGradient: new Int32Array(0) },
  ];
  /** The current frame's luma (`width × height` bytes of WebAssembly memory). */
  current = new Uint8Array(0);
  /** The previous frame's luma; zeros after {@link resize}. */
  previous = new Uint8Array(0);
  /** {@link TEXTURE_SUMS} per block, row-major, after {@link texture}. */
  textureSums = new Int32Array(0);
  /** Per block, row-major, after {@link edges}: {@link LEFT_ARTIFACT} | {@link LEFT_CHANGE} | {@link TOP_ARTIFACT} | {@link TOP_CHANGE}. */
  edgeFlags = new Uint8Array(0);
  private totals = new Int32Array(0);
  private changedBlocks = new Int32Array(0);
  private blockTexture = new Float32Array(0);

  constructor() {
    this.exports = new wasm.Instance(kernelModule()).exports as KernelExports;
  }

  /** Lays the memory out for `width × height` planes (growing it when needed) and clears the previous frame. */
  resize(width: number, height: number): void {
    const blocks = Math.floor(width / 16) * Math.floor(height / 16);
    const slot = align(width * height + PAD);
    this.slots = [0, slot];
    this.textureOut = 2 * slot;
    this.edgeOut = this.textureOut + align(4 * TEXTURE_SUMS * blocks);
    this.totalsOut = this.edgeOut + align(blocks);
    const profileBytes = align(4 * (width + height));
    this.profileOut = [this.totalsOut + 16, this.totalsOut + 16 + profileBytes];
    this.profileLayout = profileLines(width, height);
    this.profileRowsOut = this.profileOut[1] + profileBytes;
    this.changedOut = this.profileRowsOut + align(4 * this.profileLayout.rows.length);
    this.textureIn = this.changedOut + align(4 * blocks);
    this.width = width;
    this.height = height;
    const bytes = this.textureIn + 4 * blocks;
    const { memory } = this.exports;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    new Uint8Array(memory.buffer, 0, bytes).fill(0);
    this.views(width * height, blocks);
    new Int32Array(memory.buffer, this.profileRowsOut, this.profileLayout.rows.length).set(this.profileLayout.rows);
  }

  /** Makes the current frame the previous one; the next frame is written over the old previous one. */
  swap(): void {
    this.slots = [this.slots[1], this.slots[0]];
    const current = this.current;
    this.current = this.previous;
    this.previous = current;
  }

  /**
   * The texture pass over the current frame: per block, on its 64 lattice points (odd rows and
   * columns), Σ |pixel − its left neighbour|, Σ |pixel − the one above| and Σ |pixel − the
   * previous frame's|, into {@link textureSums}.
   */
  texture(width: number, bw: number, bh: number): void {
    this.exports.texture(this.slots[0], this.slots[1], width, bw, bh, this.textureOut);
  }

  /**
   * The edge pass over the current frame against the previous one (or against itself, `still`,
   * for a stream's first frame): tests every block's left edge (8 rows) and top edge (8 columns)
   * for a grid-aligned step much larger than the steps beside it, in the picture (an artifact
   * edge) and in its difference from the previous frame (a change edge), into {@link edgeFlags}.
   * Returns Σ |pixel − previous pixel| and Σ of the steps beside, both over the left edges' points
   * (the `beside` of macroblock-kernels.wat).
   */
  edges(width: number, bw: number, bh: number, still: boolean): { change: number; beside: number } {
    this.exports.edges(this.slots[0], still ? this.slots[0] : this.slots[1], width, bw, bh, this.edgeOut, this.totalsOut);
    return { change: this.totals[0] as number, beside: this.totals[1] as number };
  }

  /**
   * The motion test's projection profiles of the current (`of` 0) or previous (1) frame into
   * {@link profileSets}[`set`]: the absolute step across per column, summed over up to 16 rows
   * spread over the picture, and the step down per row, summed over 16 columns spread across it
   * (what `global-motion.ts` measures in TypeScript for planes outside this memory).
   */
  profiles(of: 0 | 1, set: 0 | 1): void {
    const { width, height, profileLayout: lines } = this;
    const out = this.profileOut[set];
    this.exports.profiles(this.slots[of], width, height, this.profileRowsOut, lines.rows.length, lines.first, lines.step, lines.columns, out, out + 4 * width);
  }

  /**
   * Copies the motion test's inputs for {@link unexplained} into this memory, once per frame: the
   * first `count` of `changed` (block indices) and every block's `texture`.
   */
  loadBlocks(changed: Int32Array, count: number, texture: Float32Array): void {
    this.changedBlocks.set(changed.subarray(0, count));
    this.blockTexture.set(texture.subarray(0, this.blockTexture.length));
  }

  /**
   * The motion test's count of the first `count` loaded changed blocks (see {@link loadBlocks})
   * that the previous frame moved by (dx, dy) does not explain, up to `stopAbove` + 1, with each
   * block's bar from its texture (see `countUnexplained` in global-motion.ts, which it replaces
   * for this memory's frames).
   */
  unexplained(count: number, dx: number, dy: number, stopAbove: number): number {
    const bw = Math.floor(this.width / 16);
    return this.exports.unexplained(this.slots[0], this.slots[1], this.width, this.height, bw, this.changedOut, count, this.textureIn, dx, dy, stopAbove);
  }

  private views(pixels: number, blocks: number): void {
    const { buffer } = this.exports.memory;
    this.profileSets = [0, 1].map((set) => ({
      columnGradient: new Int32Array(buffer, this.profileOut[set] as number, this.width),
      rowGradient: new Int32Array(buffer, (this.profileOut[set] as number) + 4 * this.width, this.height),
    })) as [KernelProfiles, KernelProfiles];
    this.current = new Uint8Array(buffer, this.slots[0], pixels);
    this.previous = new Uint8Array(buffer, this.slots[1], pixels);
    this.textureSums = new Int32Array(buffer, this.textureOut, TEXTURE_SUMS * blocks);
    this.edgeFlags = new Uint8Array(buffer, this.edgeOut, blocks);
    this.totals = new Int32Array(buffer, this.totalsOut, 2);
    this.changedBlocks = new Int32Array(buffer, this.changedOut, blocks);
    this.blockTexture = new Float32Array(buffer, this.textureIn, blocks);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
