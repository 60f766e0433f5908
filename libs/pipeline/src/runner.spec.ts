import type { DetectionBatch, FrameBatch } from '@framewatch/frame-codec';
import { createAggregator } from './aggregator';
import type { AnalysisResult, DecodeSpec, Detector, DetectorInfo, MediaConverter, MediaInfo } from './contracts';
import { mergeDetections, mergeNeeds, projectBatch, runAnalysis } from './runner';

const media: MediaInfo = {
  durationSec: 4,
  formatName: 'mp4',
  video: { codec: 'h264', width: 640, height: 360, fps: 25 },
  audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
};

/** An in-memory converter: 4 s of 25 fps frames whose first luma byte is the frame index. */
function memoryConverter(seen: DecodeSpec[]): MediaConverter {
  return {
    probe: async () => media,
    async *decode(_source, spec, { streamId }) {
      seen.push(spec);
      for (let seq = 0; seq < 4; seq++) {
        const video = Array.from({ length: 25 }, (_, k) => {
          const index = seq * 25 + k;
          return { pts: index * 0.04, index, width: 2, height: 1, format: 'gray' as const, planes: [new Uint8Array([index, 0])] };
        });
        yield { streamId, seq, startSec: seq, endSec: seq + 1, video, audio: [], final: seq === 3 } satisfies FrameBatch;
      }
    },
  };
}

/** A detector group flagging frames 25..74 as `name`, taking `delayMs` per batch. */
function rangeDetector(info: DetectorInfo, delayMs: number, calls: string[]): Detector {
  return {
    describe: async () => ({ group: info.name, detectors: [info] }),
    async detect(batch): Promise<DetectionBatch> {
      calls.push(`${info.name}:${batch.seq}`);
      await new Promise((r) => setTimeout(r, delayMs));
      return {
        streamId: batch.streamId,
        seq: batch.seq,
        group: info.name,
        detectors: [info.name],
        final: batch.final,
        scores: batch.video.map((f) => ({
          target: 'video',
          index: f.index,
          pts: f.pts,
          durationSec: 0.04,
          scores: { [info.name]: f.index >= 25 && f.index < 75 ? 1 : 0 },
        })),
      };
    },
    release: async () => undefined,
  };
}

const black: DetectorInfo = { name: 'black', defect: 'black', needs: { video: { width: 320, height: 180 }, audio: null } };
const freeze: DetectorInfo = { name: 'freeze', defect: 'freeze', needs: { video: { width: 160, height: 90 }, audio: null } };

describe('mergeNeeds', () => {
  it('takes the largest luma size and never upscales', () => {
    expect(mergeNeeds([black.needs, freeze.needs], media, 25).video).toEqual({ width: 320, height: 180, deblocked: false });
    expect(mergeNeeds([{ video: { width: 1920, height: 1080 }, audio: null }], media, 25).video).toEqual({ width: 0, height: 0, deblocked: true });
    expect(mergeNeeds([black.needs, { video: { width: 0, height: 0 }, audio: null }], media, 25).video).toEqual({ width: 0, height: 0, deblocked: true });
  });

  it('asks for deblocked pictures when any detector needs them', () => {
    const exact = { video: { width: 160, height: 90, deblocked: true }, audio: null };
    expect(mergeNeeds([black.needs, exact], media, 25).video).toEqual({ width: 320, height: 180, deblocked: true });
  });

  it("asks for the decoder's reports when any detector needs them, and only then", () => {
    const reports = { video: { width: 0, height: 0, deblocked: true, decoderReports: true }, audio: null };
    expect(mergeNeeds([black.needs, reports], media, 25).video).toEqual({ width: 0, height: 0, deblocked: true, decoderReports: true });
    expect(mergeNeeds([black.needs, freeze.needs], media, 25).video).not.toHaveProperty('decoderReports');
  });

  it('decodes no audio when no detector needs it, and none when the source lacks it', () => {
    expect(mergeNeeds([black.needs], media, 25).audio).toBeNull();
    const silence = { video: null, audio: { sampleRate: 48000, channels: 1 } };
    expect(mergeNeeds([silence], media, 25).audio).toEqual({ sampleRate: 48000, channels: 1 });
    expect(mergeNeeds([silence], { ...media, audio: null }, 25).audio).toBeNull();
  });
});

describe('fan-out helpers', () => {
  const batch: FrameBatch = {
    streamId: 's',
    seq: 3,
    startSec: 3,
    endSec: 4,
    video: [{ pts: 3, index: 75, width: 2, height: 1, format: 'gray', planes: [new Uint8Array(2)] }],
    audio: [{ pts: 3, index: 75, sampleRate: 48000, channels: 1, samples: new Float32Array(4) }],
    final: false,
  };

  it('sends a group only the streams it uses, and the batch itself when it uses all', () => {
    expect(projectBatch(batch, { video: true, audio: false })).toMatchObject({ seq: 3, audio: [], video: batch.video });
    expect(projectBatch(batch, { video: false, audio: true })).toMatchObject({ video: [], audio: batch.audio });
    expect(projectBatch(batch, { video: true, audio: true })).toBe(batch);
  });

  it("merges the groups' scores for one batch into one ingest", () => {
    const a = { streamId: 's', seq: 3, group: 'video', detectors: ['black'], final: false, scores: [{ target: 'video' as const, index: 75, pts: 3, durationSec: 0.04, scores: { black: 1 } }] };
    const b = { streamId: 's', seq: 3, group: 'audio', detectors: ['silence'], final: true, scores: [{ target: 'audio' as const, index: 75, pts: 3, durationSec: 0.04, scores: { silence: 0 } }] };
    expect(mergeDetections([a, b])).toEqual({ streamId: 's', seq: 3, group: 'video+audio', detectors: ['black', 'silence'], final: true, scores: [...a.scores, ...b.scores] });
    expect(mergeDetections([a])).toBe(a);
  });
});

describe('runAnalysis', () => {
  it('fans every batch out to each detector group and aggregates both', async () => {
    const calls: string[] = [];
    const specs: DecodeSpec[] = [];
    const progress: number[] = [];
    const result = await runAnalysis(
      {
        converter: memoryConverter(specs),
        detectors: [rangeDetector(black, 5, calls), rangeDetector(freeze, 1, calls)],
        aggregator: createAggregator(),
      },
      { id: 'an-1', source: { url: 'clip.mp4' }, onProgress: (p) => progress.push(p.videoFrames) },
    );
    expect(specs[0]?.video).toEqual({ width: 320, height: 180, deblocked: false });
    expect(calls.filter((c) => c.startsWith('black'))).toEqual(['black:0', 'black:1', 'black:2', 'black:3']);
    expect(calls.filter((c) => c.startsWith('freeze'))).toHaveLength(4);
    expect(result.defects.map((d) => `${d.type}@${d.startSec}-${d.endSec}`)).toEqual(['black@1-3', 'freeze@1-3']);
    expect(result.stats.videoFrames).toBe(100);
    expect(progress).toEqual([25, 50, 75, 100]);
    expect(result).toMatchObject({ schemaVersion: 1, id: 'an-1', status: 'succeeded', source: 'clip.mp4' });
  });

  it('never has two batches of one group in detection at once, so they are scored in seq order', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const slowFirst: Detector = {
      describe: async () => ({ group: 'g', detectors: [black] }),
      async detect(batch) {
        inFlight++;
        most = Math.max(most, inFlight);
        log.push(`start ${batch.seq}`);
        // The first batch is the slowest: over HTTP it could otherwise finish after the second.
        await new Promise((r) => setTimeout(r, batch.seq === 0 ? 30 : 1));
        log.push(`end ${batch.seq}`);
        inFlight--;
        return { streamId: batch.streamId, seq: batch.seq, group: 'g', detectors: ['black'], final: batch.final, scores: [] };
      },
      release: async () => undefined,
    };
    await runAnalysis({ converter: memoryConverter([]), detectors: [slowFirst], aggregator: createAggregator() }, { id: 'an-4', source: { url: 'x' }, maxInFlight: 3 });
    expect(most).toBe(1);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const run = runAnalysis(
      { converter: memoryConverter([]), detectors: [rangeDetector(black, 20, calls)], aggregator: createAggregator() },
      { id: 'an-2', source: { url: 'clip.mp4' }, signal: controller.signal, onProgress: () => controller.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(calls.length).toBeLessThan(4);
  });

  it('surfaces a detector failure as the analysis error', async () => {
    const failing: Detector = {
      describe: async () => ({ group: 'bad', detectors: [black] }),
      detect: async () => {
        throw new Error('boom');
      },
      release: async () => undefined,
    };
    await expect(
      runAnalysis({ converter: memoryConverter([]), detectors: [failing], aggregator: createAggregator() }, { id: 'an-3', source: { url: 'x' } }),
    ).rejects.toThrow('boom');
  });

  it('ends cleanly on the stop signal: what was decoded is scored and reported as cancelled', async () => {
    const stop = new AbortController();
    const calls: string[] = [];
    const result = await runAnalysis(
      { converter: memoryConverter([]), detectors: [rangeDetector(black, 1, calls)], aggregator: createAggregator() },
      { id: 'an-5', source: { url: 'clip.mp4' }, stopSignal: stop.signal, onProgress: (p) => p.videoFrames >= 50 && stop.abort() },
    );
    expect(result.status).toBe('cancelled');
    expect(result.stats.videoFrames).toBe(50);
    // Frames 25..49 were black: the open event closed at the last frame seen.
    expect(result.defects.map((d) => `${d.type}@${d.startSec}-${d.endSec}`)).toEqual(['black@1-2']);
  });

  it('reports a live source stalling and resuming as signal_loss, alerting as soon as it stalls', async () => {
    const live: MediaConverter = {
      probe: async () => ({ ...media, durationSec: null }),
      async *decode(source, spec, options) {
        const frames = memoryConverter([]).decode(source, spec, options)[Symbol.asyncIterator]();
        yield (await frames.next()).value as FrameBatch;
        yield (await frames.next()).value as FrameBatch;
        // After 2 s of media the source goes silent for 5 s of wall time, then comes back.
        options.onSourceEvent?.({ type: 'stalled', sinceMs: 1000 });
        await new Promise((r) => setTimeout(r, 20));
        options.onSourceEvent?.({ type: 'resumed', stalledForMs: 5000 });
        yield (await frames.next()).value as FrameBatch;
      },
    };
    const opened: string[] = [];
    const aggregator = createAggregator({ listener: { onDefectOpened: (_id, e) => opened.push(`${e.type}@${e.startSec}`) } });
    const result = await runAnalysis({ converter: live, detectors: [rangeDetector(black, 1, [])], aggregator }, { id: 'an-6', source: { url: 'https://x/live.m3u8' } });
    expect(opened).toContain('signal_loss@2');
    const loss = result.defects.find((d) => d.type === 'signal_loss');
    expect(loss).toMatchObject({ startSec: 2, endSec: 7, detail: { detector: 'signal' } });
  });

  it('does not watch the signal of a source with a known end (a slow file download is no signal loss)', async () => {
    const file: MediaConverter = {
      probe: async () => media,
      async *decode(source, spec, options) {
        options.onSourceEvent?.({ type: 'stalled', sinceMs: 0 });
        yield* memoryConverter([]).decode(source, spec, options);
      },
    };
    const result = await runAnalysis({ converter: file, detectors: [rangeDetector(black, 1, [])], aggregator: createAggregator() }, { id: 'an-7', source: { url: 'clip.mp4' } });
    expect(result.defects.map((d) => d.type)).toEqual(['black']);
  });

  it('marks a live analysis degraded when it falls behind real time, and says when it caught up', async () => {
    // 0.1 s of media every 150 ms of wall time: behind by 0.05 s more with every batch, then on time.
    const slow: MediaConverter = {
      probe: async () => ({ ...media, durationSec: null }),
      async *decode(_source, _spec, { streamId }) {
        for (let seq = 0; seq < 16; seq++) {
          await new Promise((r) => setTimeout(r, seq < 10 ? 150 : 0));
          yield { streamId, seq, startSec: seq * 0.1, endSec: (seq + 1) * 0.1, video: [], audio: [], final: seq === 15 } satisfies FrameBatch;
        }
      },
    };
    const states: boolean[] = [];
    const result = await runAnalysis(
      { converter: slow, detectors: [rangeDetector(black, 0, [])], aggregator: createAggregator() },
      { id: 'an-8', source: { url: 'https://x/live.m3u8' }, maxBehindSec: 0.2, onDegraded: (s) => states.push(s.degraded) },
    );
    expect(states).toEqual([true, false]);
    expect(result.stats.degraded).toBe(true);
    expect(result.stats.maxBehindSec).toBeGreaterThan(0.2);
  });

  it('does not hold a signal loss against the analysis: a stall is no falling behind', async () => {
    const stalling: MediaConverter = {
      probe: async () => ({ ...media, durationSec: null }),
      async *decode(_source, _spec, options) {
        yield { streamId: options.streamId, seq: 0, startSec: 0, endSec: 0.1, video: [], audio: [], final: false } satisfies FrameBatch;
        options.onSourceEvent?.({ type: 'stalled', sinceMs: performance.now() });
        await new Promise((r) => setTimeout(r, 400));
        options.onSourceEvent?.({ type: 'resumed', stalledForMs: 400 });
        yield { streamId: options.streamId, seq: 1, startSec: 0.1, endSec: 0.2, video: [], audio: [], final: true } satisfies FrameBatch;
      },
    };
    const states: boolean[] = [];
    const result = await runAnalysis(
      { converter: stalling, detectors: [rangeDetector(black, 0, [])], aggregator: createAggregator() },
      { id: 'an-9', source: { url: 'https://x/live.m3u8' }, maxBehindSec: 0.2, onDegraded: (s) => states.push(s.degraded) },
    );
    expect(states).toEqual([]);
    expect(result.stats.degraded).toBe(false);
    expect(result.defects.map((d) => d.type)).toEqual(['signal_loss']);
  });

  it('marks a live analysis degraded at once when its reader skipped segments that rolled off', async () => {
    const skipping: MediaConverter = {
      probe: async () => ({ ...media, durationSec: null }),
      async *decode(_source, _spec, options) {
        yield { streamId: options.streamId, seq: 0, startSec: 0, endSec: 0.1, video: [], audio: [], final: false } satisfies FrameBatch;
        options.onSourceEvent?.({ type: 'skipped', fromSequence: 14, count: 2 });
        yield { streamId: options.streamId, seq: 1, startSec: 0.1, endSec: 0.2, video: [], audio: [], final: true } satisfies FrameBatch;
      },
    };
    const states: { degraded: boolean; skippedSegments: number }[] = [];
    const result = await runAnalysis(
      { converter: skipping, detectors: [rangeDetector(black, 0, [])], aggregator: createAggregator() },
      { id: 'an-10', source: { url: 'https://x/live.m3u8' }, onDegraded: (s) => states.push({ degraded: s.degraded, skippedSegments: s.skippedSegments }) },
    );
    expect(states[0]).toEqual({ degraded: true, skippedSegments: 2 });
    expect(result.stats).toMatchObject({ degraded: true, skippedSegments: 2 });
  });

  describe('checkpoints of a live analysis', () => {
    const live: MediaConverter = { ...memoryConverter([]), probe: async () => ({ ...media, durationSec: null }) };

    it('hands on a checkpoint when an event opens and when it closes, with the timeline position', async () => {
      const checkpoints: AnalysisResult[] = [];
      await runAnalysis(
        { converter: live, detectors: [rangeDetector(black, 1, [])], aggregator: createAggregator() },
        { id: 'an-11', source: { url: 'https://x/live.m3u8' }, onCheckpoint: (c) => checkpoints.push(structuredClone(c)) },
      );
      expect(checkpoints.every((c) => c.status === 'running' && c.checkpoint !== undefined)).toBe(true);
      const opened = checkpoints.find((c) => c.checkpoint?.open.length === 1);
      expect(opened?.checkpoint?.open[0]).toMatchObject({ type: 'black', startSec: 1 });
      expect(opened?.defects).toEqual([]);
      const closed = checkpoints.find((c) => c.defects.length === 1);
      expect(closed?.defects[0]).toMatchObject({ type: 'black', startSec: 1, endSec: 3 });
      expect(closed?.checkpoint?.open).toEqual([]);
      expect(closed?.checkpoint?.mediaSec).toBeGreaterThanOrEqual(3);
    });

    it('takes no checkpoints of a source with a known end (a file is analysed again from the start)', async () => {
      const checkpoints: AnalysisResult[] = [];
      await runAnalysis(
        { converter: memoryConverter([]), detectors: [rangeDetector(black, 1, [])], aggregator: createAggregator() },
        { id: 'an-12', source: { url: 'clip.mp4' }, onCheckpoint: (c) => checkpoints.push(c) },
      );
      expect(checkpoints).toEqual([]);
    });

    it('resumes on the same timeline: closed events kept, open ones closed where last seen, no second alert', async () => {
      const earlier: AnalysisResult = {
        schemaVersion: 1,
        id: 'an-13',
        source: 'https://x/live.m3u8',
        status: 'running',
        media: { durationSec: null, video: media.video, audio: media.audio },
        stats: { videoFrames: 100, audioChunks: 0, wallSec: 4, speed: 1 },
        defects: [{ type: 'freeze', startSec: 0, endSec: 1, confidence: 1, detail: { detector: 'freeze', peakScore: 1 } }],
        checkpoint: {
          savedAt: new Date(Date.now() - 5000).toISOString(),
          mediaSec: 4,
          open: [
            { type: 'black', startSec: 3, endSec: 4, confidence: 1, detail: { detector: 'black', peakScore: 1 } },
            { type: 'signal_loss', startSec: 4, endSec: 4, confidence: 1, detail: { detector: 'signal', peakScore: 1 } },
          ],
        },
      };
      const opened: string[] = [];
      const aggregator = createAggregator({ listener: { onDefectOpened: (_id, e) => opened.push(`${e.type}@${e.startSec}`) } });
      const result = await runAnalysis({ converter: live, detectors: [rangeDetector(black, 1, [])], aggregator }, { id: 'an-13', source: { url: 'https://x/live.m3u8' }, resume: earlier });
      // This attempt's frames 25..74 are black: 1–3 s of its media, 5 s after the checkpoint at 4 s.
      const at = (type: string) => result.defects.filter((d) => d.type === type).map((d) => [d.startSec, d.endSec]);
      expect(at('freeze')).toEqual([[0, 1]]);
      expect(at('signal_loss')).toEqual([[4, 4]]);
      expect(at('black')).toHaveLength(2);
      expect(at('black')[0]).toEqual([3, 4]);
      const [start, end] = at('black')[1] as [number, number];
      expect(start).toBeGreaterThanOrEqual(10);
      expect(start).toBeLessThan(10.5);
      expect(end - start).toBeCloseTo(2, 5);
      expect(opened).toEqual([`black@${start}`]);
      expect(result.stats).toMatchObject({ videoFrames: 200, resumes: 1 });
      expect(result.stats.unmonitoredSec).toBeGreaterThanOrEqual(5);
    });
  });
});
