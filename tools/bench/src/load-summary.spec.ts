import { percentile, summarizeLoad } from './load-summary';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarizeLoad', () => {
  it('reports throughput, latency percentiles over every request, and errors including 429 and no response', () => {
    const samples = [
      ...Array.from({ length: 96 }, (_, i) => ({ ms: 1 + i / 100, status: 200 })),
      { ms: 50, status: 429 },
      { ms: 2, status: 429 },
      { ms: 80, status: 500 },
      { ms: 5000, status: 0 },
    ];
    const s = summarizeLoad('GET /x', samples, 10);
    expect(s).toMatchObject({ endpoint: 'GET /x', requests: 100, rps: 10, errors: 4, errorRate: 0.04, rateLimited: 2, maxMs: 5000 });
    expect(s.p50Ms).toBeCloseTo(1.49, 5);
    expect(s.p99Ms).toBe(80);
  });

  it('counts a different expected status as success', () => {
    expect(summarizeLoad('POST /y', [{ ms: 1, status: 202 }], 1, 202).errors).toBe(0);
  });
});
