import { createDetector } from '@framewatch/detectors';
import type { FrameBatch } from '@framewatch/frame-codec';
import { aggregatorContract, createAggregator, detectorContract } from '@framewatch/pipeline';
import type { DetectorInfo, MediaInfo } from '@framewatch/pipeline';
import { describeBindings } from '@framewatch/rpc/testing';

// Weaver's AllRunners: each component contract behaves the same in-process and over signed HTTP.

const W = 64;
const H = 36;

/** 25 frames of 25 fps luma: frames 5..19 black, the rest a moving ramp; 25 chunks of 40 ms stereo. */
function batch(streamId: string, seq: number): FrameBatch {
  const video = Array.from({ length: 25 }, (_, k) => {
    const index = seq * 25 + k;
    const plane = new Uint8Array(W * H);
    if (k < 5 || k >= 20) for (let i = 0; i < plane.length; i++) plane[i] = (i + index * 7) % 200 + 40;
    else plane.fill(16);
    return { pts: index / 25, index, width: W, height: H, format: 'gray' as const, planes: [plane] };
  });
  const audio = Array.from({ length: 25 }, (_, k) => {
    const index = seq * 25 + k;
    const samples = new Float32Array(1920 * 2);
    for (let i = 0; i < 1920; i++) samples[2 * i] = samples[2 * i + 1] = k < 10 ? 0 : 0.1 * Math.sin((2 * Math.PI * 440 * i) / 48000);
    return { pts: index * 0.04, index, sampleRate: 48000, channels: 2, samples };
  });
  return { streamId, seq, startSec: seq, endSec: seq + 1, video, audio, final: false };
}

describeBindings('Detector contract', detectorContract, () => createDetector({ group: 'all' }), (get) => {
  it('describes its detectors and what they need', async () => {
    const info = await get().client.describe();
    expect(info.group).toBe('all');
    expect(info.detectors.map((d) => d.name).sort()).toEqual(['black', 'clipping', 'freeze', 'silence']);
  });

  it('scores every frame and chunk, black frames as black', async () => {
    const out = await get().client.detect(batch('s1', 0));
    expect(out).toMatchObject({ streamId: 's1', seq: 0, group: 'all' });
    const video = out.scores.filter((s) => s.target === 'video');
    expect(video).toHaveLength(25);
    expect(video.map((s) => (s.scores['black'] ?? 0) >= 0.5)).toEqual(Array.from({ length: 25 }, (_, k) => k >= 5 && k < 20));
    const audio = out.scores.filter((s) => s.target === 'audio');
    expect(audio.map((s) => (s.scores['silence'] ?? 0) >= 0.5)).toEqual(Array.from({ length: 25 }, (_, k) => k < 10));
    await get().client.release('s1');
  });

  it('rejects a malformed batch with a usage error, not a crash', async () => {
    const bad = batch('s2', 0);
    (bad.video[0] as { width: number }).width = 0;
    await expect(get().client.detect(bad)).rejects.toHaveProperty('code');
  });
});

const media: MediaInfo = { durationSec: 4, formatName: 'mp4', video: { codec: 'h264', width: W, height: H, fps: 25 }, audio: null };
const blackInfo: DetectorInfo = { name: 'black', defect: 'black', needs: { video: { width: W, height: H }, audio: null } };

describeBindings('Aggregator contract', aggregatorContract, () => createAggregator(), (get) => {
  it('turns scores into events and returns them on finish', async () => {
    const { client } = get();
    await client.start({ streamId: 'a1', source: 'x', media, detectors: [blackInfo] });
    for (let seq = 0; seq < 4; seq++) {
      await client.ingest({
        streamId: 'a1',
        seq,
        group: 'video',
        detectors: ['black'],
        final: seq === 3,
        scores: Array.from({ length: 25 }, (_, k) => {
          const index = seq * 25 + k;
          return { target: 'video' as const, index, pts: index * 0.04, durationSec: 0.04, scores: { black: index >= 25 && index < 75 ? 0.9 : 0 } };
        }),
      });
    }
    const snapshot = await client.snapshot('a1', 0);
    expect(snapshot).toEqual({ closed: [expect.objectContaining({ type: 'black', startSec: 1, endSec: 3 })], open: [], closedCount: 1 });
    expect(await client.snapshot('a1', 1)).toEqual({ closed: [], open: [], closedCount: 1 });
    const defects = await client.finish('a1');
    expect(defects).toEqual([expect.objectContaining({ type: 'black', startSec: 1, endSec: 3 })]);
  });

  it('resumes a stream from a snapshot, open events carried over', async () => {
    const { client } = get();
    const open = { type: 'black' as const, startSec: 10, endSec: 12, confidence: 1, detail: { detector: 'black', peakScore: 1 } };
    await client.start({ streamId: 'a2', source: 'x', media, detectors: [blackInfo], resume: { closed: [], open: [open] } });
    expect((await client.snapshot('a2')).open).toEqual([open]);
    expect(await client.finish('a2')).toEqual([open]);
  });

  it('rebuilds NOT_FOUND for an unknown stream on the caller side', async () => {
    await expect(get().client.finish('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
