/** A luma plane as the video detectors see it: 8-bit codes, tightly packed, row by row. */
export interface LumaGrid {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Turns a luma plane of any size into a grid close to `target` by averaging k×k blocks, with k the
 * largest whole factor that keeps the grid at least as large as the target. A plane already at
 * (or below) the target size is used as it is, without a copy.
 *
 * Averaging, not skipping pixels: the thresholds were calibrated on planes that ffmpeg scaled to
 * 320×180, where H.264 coding noise is averaged away; on a full-size plane the same noise moves
 * several times more pixels past the freeze detector's change threshold (measured: 0.0016 → 0.04
 * of the pixels on a re-encoded keyframe inside a freeze), so a sparse sample would see motion in
 * a frozen picture. The returned grid is valid until the next call (its buffer is reused, so a
 * reducer allocates only when the plane size changes).
 */
export function createLumaReducer(target: { width: number; height: number }): (plane: Uint8Array, width: number, height: number) => LumaGrid {
  // Scratch grids, reused; halving steps ping-pong between the first two.
  const scratch: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];
  let sums = new Uint32Array(0);
  const buffer = (i: number, size: number): Uint8Array => {
    if ((scratch[i] as Uint8Array).length !== size) scratch[i] = new Uint8Array(size);
    return scratch[i] as Uint8Array;
  };
  return (plane, width, height) => {
    let k = Math.max(1, Math.min(Math.floor(width / target.width), Math.floor(height / target.height)));
    let grid: LumaGrid = { data: plane.length === width * height ? plane : plane.subarray(0, width * height), width, height };
    // Even factors go through 2×2 halvings, three times faster per pixel than the general loop.
    let step = 0;
    while (k % 2 === 0) {
      const w = grid.width >> 1;
      const h = grid.height >> 1;
      const out = buffer(step % 2, w * h);
      halve(grid, out);
      grid = { data: out, width: w, height: h };
      k /= 2;
      step++;
    }
    if (k > 1) {
      const w = Math.floor(grid.width / k);
      if (sums.length < w) sums = new Uint32Array(w);
      const out = buffer(2, w * Math.floor(grid.height / k));
      grid = boxAverage(grid, k, out, sums);
    }
    return grid;
  };
}

/** 2×2 averages of `grid` into `out` (⌊w/2⌋×⌊h/2⌋), rounded to nearest. */
function halve(grid: LumaGrid, out: Uint8Array): void {
  const { data, width } = grid;
  const w = width >> 1;
  const h = grid.height >> 1;
  for (let y = 0; y < h; y++) {
    let p0 = 2 * y * width;
    let p1 = p0 + width;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      out[row + x] = (data[p0] + data[p0 + 1] + data[p1] + data[p1 + 1] + 2) >> 2;
      p0 += 2;
      p1 += 2;
    }
  }
}

/** k×k averages of `grid` into `out`, rounded to nearest; `sums` holds one row of block sums. */
function boxAverage(grid: LumaGrid, k: number, out: Uint8Array, sums: Uint32Array): LumaGrid {
  const { data, width } = grid;
  const w = Math.floor(width / k);
  const h = Math.floor(grid.height / k);
  const area = k * k;
  const round = area >> 1;
  for (let y = 0; y < h; y++) {
    sums.fill(0, 0, w);
    for (let dy = 0; dy < k; dy++) {
      let p = (y * k + dy) * width;
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dx = 0; dx < k; dx++) s += data[p++];
        sums[x] += s;
      }
    }
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = (sums[x] + round) / area;
  }
  return { data: out, width: w, height: h };
}
