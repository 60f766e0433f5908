import type { AudioChunk, FrameBatch, VideoFrame } from '@framewatch/frame-codec';
import { BatchAssembler } from './batcher';
import type { BatchAssemblerOptions } from './batcher';

const rate = { num: 25, den: 1 };

function frame(index: number): VideoFrame {
  return { pts: index / 25, index, width: 2, height: 2, format: 'gray', planes: [new Uint8Array(4)] };
}

function chunk(index: number): AudioChunk {
  return { pts: (index * 1920) / 48000, index, sampleRate: 48000, channels: 1, samples: new Float32Array(1920) };
}

function assembler(overrides: Partial<BatchAssemblerOptions> = {}): BatchAssembler {
  return new BatchAssembler({
    streamId: 's1',
    framesPerBatch: 10,
    unitRate: rate,
    hasVideo: true,
    hasAudio: true,
    maxLagUnits: 1000,
    maxPendingBytes: 1e9,
    ...overrides,
  });
}

function expectInvariants(batches: FrameBatch[]): void {
  batches.forEach((b, i) => {
    expect(b.seq).toBe(i);
    expect(b.final).toBe(i === batches.length - 1);
    for (const f of b.video) expect(f.pts >= b.startSec && f.pts < b.endSec).toBe(true);
    for (const c of b.audio) expect(c.pts >= b.startSec && c.pts < b.endSec).toBe(true);
  });
}

describe('BatchAssembler', () => {
  it('holds a batch until both streams have passed its end, then releases it in order', () => {
    const a = assembler();
    for (let i = 0; i < 15; i += 1) a.addVideo(frame(i));
    expect(a.release()).toEqual([]); // audio has not reached batch 0's end yet
    for (let i = 0; i < 10; i += 1) a.addAudio(chunk(i));
    expect(a.release()).toEqual([]); // audio reached the end but has not passed it
    a.addAudio(chunk(10));
    const [first, ...rest] = a.release();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ seq: 0, startSec: 0, endSec: 0.4, final: false });
    expect(first.video.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.audio.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('marks only the last batch final and ends it where the media ends', () => {
    const a = assembler();
    const out: FrameBatch[] = [];
    for (let i = 0; i < 25; i += 1) {
      a.addVideo(frame(i));
      a.addAudio(chunk(i));
      out.push(...a.release());
    }
    a.endVideo();
    a.endAudio();
    out.push(...a.finish());
    expect(out.map((b) => b.seq)).toEqual([0, 1, 2]);
    expectInvariants(out);
    expect(out[2]).toMatchObject({ startSec: 0.8, endSec: 1, final: true });
    expect(out[2].video).toHaveLength(5);
  });

  it('emits one empty final batch when nothing was decoded', () => {
    const a = assembler();
    a.endVideo();
    a.endAudio();
    expect(a.finish()).toEqual([
      { streamId: 's1', seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true },
    ]);
  });

  it('does not mark a full last batch final before the streams end', () => {
    const a = assembler({ hasAudio: false });
    for (let i = 0; i < 10; i += 1) a.addVideo(frame(i));
    expect(a.release()).toEqual([]);
    a.endVideo();
    const [only] = a.finish();
    expect(only).toMatchObject({ seq: 0, final: true, endSec: 0.4 });
  });

  it('stops waiting for a stream that lags too far and drops its late units', () => {
    const a = assembler({ maxLagUnits: 20 });
    for (let i = 0; i < 35; i += 1) a.addVideo(frame(i));
    const forced = a.release();
    // Video holds frames 0..34; releasing batches 0 and 1 brings that under 20.
    expect(forced.map((b) => b.seq)).toEqual([0, 1]);
    expect(forced[0].audio).toEqual([]);
    expect(a.stats.forcedReleases).toBe(2);
    a.addAudio(chunk(0)); // belongs to batch 0, already gone
    expect(a.stats.lateUnitsDropped).toBe(1);
    expect(a.bufferedBytes).toBe(15 * 4);
  });

  it('releases what both streams delivered of a batch on request (a quiet live decoder), the rest later', () => {
    const a = assembler();
    const out: FrameBatch[] = [];
    for (let i = 0; i < 7; i += 1) a.addVideo(frame(i));
    for (let i = 0; i < 9; i += 1) a.addAudio(chunk(i));
    expect(a.release()).toEqual([]);
    const head = a.releaseAvailable();
    // Units 0..6: all video delivered, and the audio chunks with the same indices.
    expect(head).toMatchObject({ seq: 0, startSec: 0, endSec: 0.28, final: false });
    expect(head?.video.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(head?.audio.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    out.push(head as FrameBatch);
    expect(a.releaseAvailable()).toBeNull(); // nothing new from the video
    for (let i = 7; i < 25; i += 1) {
      a.addVideo(frame(i));
      if (i >= 9) a.addAudio(chunk(i));
      out.push(...a.release());
    }
    a.endVideo();
    a.endAudio();
    out.push(...a.finish());
    // The rest of the first batch (7..9), then batches aligned as before: 10..19, 20..24.
    expect(out.map((b) => [b.startSec, b.endSec])).toEqual([
      [0, 0.28],
      [0.28, 0.4],
      [0.4, 0.8],
      [0.8, 1],
    ]);
    expectInvariants(out);
    expect(out.flatMap((b) => b.video.map((f) => f.index))).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(out.flatMap((b) => b.audio.map((c) => c.index))).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(a.bufferedBytes).toBe(0);
  });

  it('releases a whole batch on request once every unit of it is in, and nothing after the end', () => {
    const a = assembler({ hasAudio: false });
    for (let i = 0; i < 10; i += 1) a.addVideo(frame(i));
    expect(a.release()).toEqual([]);
    expect(a.releaseAvailable()).toMatchObject({ seq: 0, startSec: 0, endSec: 0.4 });
    a.endVideo();
    expect(a.releaseAvailable()).toBeNull();
    expect(a.finish()).toEqual([{ streamId: 's1', seq: 1, startSec: 0.4, endSec: 0.4, video: [], audio: [], final: true }]);
  });
});
