import { readFileSync } from 'node:fs';
import path from 'node:path';
import createWabt from 'wabt';
import { LEFT_ARTIFACT, LEFT_CHANGE, MacroblockKernels, TEXTURE_SUMS, TOP_ARTIFACT, TOP_CHANGE } from './macroblock-kernels';
import { MACROBLOCK_KERNELS_WASM } from './macroblock-kernels-wasm';
import { smoothGradient, withLostSlice } from './spec-helpers';

/** What the WebAssembly passes must compute, written plainly (one point at a time, as specified). */
function reference(p: Uint8Array, q: Uint8Array, width: number, bw: number, bh: number) {
  const texture = new Int32Array(TEXTURE_SUMS * bw * bh);
  const flags = new Uint8Array(bw * bh);
  let change = 0;
  let beside = 0;
  const artifact = (step: number, besideSum: number): boolean => step / 8 > 6 && step / 8 > 2.5 * (besideSum / 16 + 1);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const i = by * bw + bx;
      for (let y = by * 16 + 1; y < by * 16 + 16; y += 2) {
        for (let x = bx * 16 + 1; x < bx * 16 + 16; x += 2) {
          const r = y * width + x;
          texture[TEXTURE_SUMS * i] = (texture[TEXTURE_SUMS * i] as number) + Math.abs((p[r] as number) - (p[r - 1] as number));
          texture[TEXTURE_SUMS * i + 1] = (texture[TEXTURE_SUMS * i + 1] as number) + Math.abs((p[r] as number) - (p[r - width] as number));
          texture[TEXTURE_SUMS * i + 2] = (texture[TEXTURE_SUMS * i + 2] as number) + Math.abs((p[r] as number) - (q[r] as number));
        }
      }
      // An edge through pixels a (on the block's side), b and d (the two outside it), c (inside).
      const edge = (a: number, b: number, c: number, d: number, sums: number[]): void => {
        const [pa, pb, pc, pd] = [p[a], p[b], p[c], p[d]] as number[] as [number, number, number, number];
        const [da, db, dc, dd] = [pa - (q[a] as number), pb - (q[b] as number), pc - (q[c] as number), pd - (q[d] as number)];
        sums[0] = (sums[0] as number) + Math.abs(pa - pb);
        sums[1] = (sums[1] as number) + Math.abs(pc - pa) + Math.abs(pb - pd);
        sums[2] = (sums[2] as number) + Math.abs(da - db);
        sums[3] = (sums[3] as number) + Math.abs(dc - da) + Math.abs(db - dd);
        sums[4] = (sums[4] as number) + Math.abs(da);
      };
      if (bx > 0) {
        const sums = [0, 0, 0, 0, 0];
        for (let y = by * 16; y < by * 16 + 16; y += 2) {
          const a = y * width + bx * 16;
          edge(a, a - 1, a + 1, a - 2, sums);
        }
        const [s, n, ds, dn, moved] = sums as [number, number, number, number, number];
        flags[i] = (flags[i] as number) | (artifact(s, n) ? LEFT_ARTIFACT : 0) | (artifact(ds, dn) ? LEFT_CHANGE : 0);
        change += moved;
        beside += n;
      }
      if (by > 0) {
        const sums = [0, 0, 0, 0, 0];
        for (let x = bx * 16; x < bx * 16 + 16; x += 2) {
          const a = by * 16 * width + x;
          edge(a, a - width, a + width, a - 2 * width, sums);
        }
        const [s, n, ds, dn] = sums as [number, number, number, number];
        flags[i] = (flags[i] as number) | (artifact(s, n) ? TOP_ARTIFACT : 0) | (artifact(ds, dn) ? TOP_CHANGE : 0);
      }
    }
  }
  return { texture, flags, change, beside };
}

/** Both passes through the kernels, copied out of WebAssembly memory. */
function kernelsOf(p: Uint8Array, q: Uint8Array, width: number, height: number) {
  const bw = Math.floor(width / 16);
  const bh = Math.floor(height / 16);
  const kernels = new MacroblockKernels();
  kernels.resize(width, height);
  kernels.current.set(q);
  kernels.swap();
  kernels.current.set(p);
  kernels.texture(width, bw, bh);
  const { change, beside } = kernels.edges(width, bw, bh, false);
  return { texture: kernels.textureSums.slice(), flags: kernels.edgeFlags.slice(), change, beside, bw, bh };
}

/** A deterministic pseudo-random plane (xorshift32). */
function noise(width: number, height: number, seed: number, levels = 256): Uint8Array {
  const out = new Uint8Array(width * height);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) % levels) * Math.floor(255 / (levels - 1));
  }
  return out;
}

/** Flat 16×16 blocks of random grey: every block edge is a step. */
function blocky(width: number, height: number, seed: number): Uint8Array {
  const levels = noise(Math.ceil(width / 16), Math.ceil(height / 16), seed);
  return Uint8Array.from({ length: width * height }, (_, i) => levels[Math.floor((i % width) / 16) + Math.floor(i / width / 16) * Math.ceil(width / 16)] as number);
}

describe('MacroblockKernels', () => {
  it.each([
    ['random pixels', 320, 192, noise(320, 192, 1), noise(320, 192, 2)],
    ['black and white only (the largest sums)', 336, 208, noise(336, 208, 3, 2), noise(336, 208, 4, 2)],
    ['a size that is not a multiple of 16', 333, 201, noise(333, 201, 5), noise(333, 201, 6)],
    ['a lost slice over a moving gradient', 320, 192, withLostSlice(smoothGradient(320, 192, 3), 320), smoothGradient(320, 192, 2)],
    ['a still picture', 64, 48, noise(64, 48, 7), noise(64, 48, 7)],
    ['flat blocks of random grey', 320, 192, blocky(320, 192, 10), blocky(320, 192, 11)],
  ])('computes the specified sums and edge tests on %s', (name, width, height, p, q) => {
    const got = kernelsOf(p, q, width, height);
    const want = reference(p, q, width, got.bw, got.bh);
    expect(Array.from(got.texture)).toEqual(Array.from(want.texture));
    expect(Array.from(got.flags)).toEqual(Array.from(want.flags));
    expect({ change: got.change, beside: got.beside }).toEqual({ change: want.change, beside: want.beside });
    // Where blocks are wrong, both answers of every edge test occur.
    if (name === 'flat blocks of random grey' || name === 'a lost slice over a moving gradient') {
      for (const bit of [LEFT_ARTIFACT, LEFT_CHANGE, TOP_ARTIFACT, TOP_CHANGE]) {
        const set = Array.from(got.flags).filter((f) => f & bit).length;
        expect({ bit, set: set > 0 && set < got.flags.length }).toEqual({ bit, set: true });
      }
    }
  });

  it('keeps a stream in its own memory: the previous frame survives another stream', () => {
    const a = new MacroblockKernels();
    const b = new MacroblockKernels();
    a.resize(64, 48);
    b.resize(64, 48);
    a.current.set(noise(64, 48, 8));
    a.swap();
    b.current.set(noise(64, 48, 9));
    expect(Array.from(a.previous)).toEqual(Array.from(noise(64, 48, 8)));
  });

  it('is the assembly of macroblock-kernels.wat (npm run build:wasm)', async () => {
    const wabt = await createWabt();
    const parsed = wabt.parseWat('macroblock-kernels.wat', readFileSync(path.join(__dirname, 'macroblock-kernels.wat'), 'utf8'), { simd: true });
    try {
      parsed.validate();
      expect(Buffer.from(parsed.toBinary({}).buffer).toString('base64')).toBe(MACROBLOCK_KERNELS_WASM);
    } finally {
      parsed.destroy();
    }
  });
});
