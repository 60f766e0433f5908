import { measure, median } from './cpu';

describe('bench measurement', () => {
  it('takes the median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("counts a child process's CPU time, not only its wall time", async () => {
    const busy = await measure(process.execPath, ['-e', 'const end = Date.now() + 300; while (Date.now() < end);']);
    const idle = await measure(process.execPath, ['-e', 'setTimeout(() => {}, 300)']);
    expect(busy.cpuSec).toBeGreaterThan(0.2);
    expect(idle.wallSec).toBeGreaterThan(0.25);
    expect(idle.cpuSec).toBeLessThan(busy.cpuSec);
  });

  it('rejects when the command fails', async () => {
    await expect(measure(process.execPath, ['-e', 'process.exit(3)'])).rejects.toThrow(/exited 3/);
  });
});
