import { measureCodecThroughput } from './throughput';

describe('measureCodecThroughput', () => {
  // A small batch keeps the test quick; the 2 GB/s target is checked by the benchmark on the
  // full-size batch, not here, because CI machines are too noisy for an absolute threshold.
  const report = measureCodecThroughput({ videoFrames: 4, width: 320, height: 180, audioChunks: 4, rounds: 5, jsonRounds: 3 });

  it('counts the media bytes of the synthetic batch', () => {
    expect(report.mediaBytes).toBe(4 * 320 * 180 + 4 * 1920 * 2 * 4);
  });

  it('reports finite, positive figures for both formats', () => {
    for (const figures of [report.codec, report.json]) {
      expect(Number.isFinite(figures.gbPerSec)).toBe(true);
      expect(figures.gbPerSec).toBeGreaterThan(0);
      expect(figures.encodeMs).toBeGreaterThanOrEqual(0);
      expect(figures.decodeMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('sizes the binary message close to the media and JSON a third larger (base64)', () => {
    expect(report.codec.encodedBytes).toBeGreaterThan(report.mediaBytes);
    expect(report.codec.encodedBytes).toBeLessThan(report.mediaBytes * 1.01);
    expect(report.json.encodedBytes).toBeGreaterThan(report.mediaBytes * 1.33);
  });

  it('measures the codec faster than JSON with base64 planes', () => {
    expect(report.codec.gbPerSec).toBeGreaterThan(report.json.gbPerSec);
  });
});
