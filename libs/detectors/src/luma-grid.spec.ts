import { createLumaReducer } from './luma-grid';
import { columns, plane } from './spec-helpers';

describe('createLumaReducer', () => {
  const reduce = createLumaReducer({ width: 320, height: 180 });

  it('uses a plane at the target size as it is, without copying', () => {
    const data = plane(320, 180, (x) => x % 256);
    expect(reduce(data, 320, 180).data).toBe(data);
  });

  it('uses a plane smaller than the target as it is', () => {
    const grid = reduce(plane(160, 90, () => 50), 160, 90);
    expect([grid.width, grid.height]).toEqual([160, 90]);
  });

  it('averages 2×2 blocks of a 640×360 plane into 320×180', () => {
    // Columns alternate 10 and 30, so every 2×2 block averages to 20.
    const grid = reduce(columns(640, 360, (x) => (x % 2 === 0 ? 10 : 30)), 640, 360);
    expect([grid.width, grid.height]).toEqual([320, 180]);
    expect(grid.data.every((v) => v === 20)).toBe(true);
  });

  it('averages 4×4 blocks of a 1280×720 plane and 3×3 blocks of a 960×540 plane', () => {
    const big = reduce(plane(1280, 720, (x, y) => (Math.floor(x / 4) + Math.floor(y / 4)) % 2 === 0 ? 0 : 200), 1280, 720);
    expect([big.width, big.height]).toEqual([320, 180]);
    expect([big.data[0], big.data[1], big.data[320]]).toEqual([0, 200, 200]);
    const odd = reduce(columns(960, 540, (x) => (x % 3 === 0 ? 90 : 0)), 960, 540);
    expect([odd.width, odd.height]).toEqual([320, 180]);
    expect(odd.data.every((v) => v === 30)).toBe(true);
  });

  it('keeps a 4:3 plane 4:3 (ratios do not need the target aspect)', () => {
    const grid = reduce(plane(720, 576, () => 100), 720, 576);
    expect([grid.width, grid.height]).toEqual([360, 288]);
  });
});
