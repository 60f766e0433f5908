import type { DetectionBatch, FrameScore } from '@framewatch/frame-codec';
import { createAggregator } from './aggregator';
import type { DefectEvent, DetectorInfo, MediaInfo } from './contracts';

const media: MediaInfo = { durationSec: 20, formatName: 'mp4', video: { codec: 'h264', width: 320, height: 180, fps: 25 }, audio: null };
const black: DetectorInfo = { name: 'black', defect: 'black', needs: { video: { width: 320, height: 180 }, audio: null } };
const silence: DetectorInfo = { name: 'silence', defect: 'silence', needs: { video: null, audio: { sampleRate: 48000, channels: 1 } } };

/** Frames at 25 fps whose `name` score is given by `scoreAt(i)`. */
function frames(name: string, count: number, scoreAt: (i: number) => number, from = 0): FrameScore[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return { target: 'video', index: i, pts: i * 0.04, durationSec: 0.04, scores: { [name]: scoreAt(i) } };
  });
}

function batches(name: string, scores: FrameScore[], per = 25, group = 'default'): DetectionBatch[] {
  const out: DetectionBatch[] = [];
  for (let s = 0; s * per < scores.length; s++) {
    out.push({ streamId: 's', seq: s, group, detectors: [name], scores: scores.slice(s * per, (s + 1) * per), final: (s + 1) * per >= scores.length });
  }
  return out;
}

async function run(detectors: DetectorInfo[], input: DetectionBatch[], rules = {}): Promise<{ defects: DefectEvent[]; log: string[] }> {
  const log: string[] = [];
  const agg = createAggregator({
    rules,
    listener: {
      onDefectOpened: (_id, e) => log.push(`open ${e.type} ${e.startSec}`),
      onDefectClosed: (_id, e) => log.push(`close ${e.type} ${e.startSec}-${e.endSec}`),
    },
  });
  await agg.start({ streamId: 's', source: 'x', media, detectors });
  for (const b of input) await agg.ingest(b);
  return { defects: await agg.finish('s'), log };
}

describe('createAggregator', () => {
  it('reports a 2 s black segment with frame-exact boundaries', async () => {
    const { defects } = await run([black], batches('black', frames('black', 250, (i) => (i >= 100 && i < 150 ? 0.95 : 0.02))));
    expect(defects).toHaveLength(1);
    expect(defects[0]).toMatchObject({ type: 'black', startSec: 4, endSec: 6 });
    expect(defects[0]?.confidence).toBeCloseTo(0.95, 3);
  });

  it('drops runs shorter than the minimum duration', async () => {
    const { defects, log } = await run([black], batches('black', frames('black', 100, (i) => (i >= 10 && i < 15 ? 0.9 : 0))));
    expect(defects).toEqual([]);
    expect(log).toEqual([]);
  });

  it('reports a run shorter than the minimum when one unit reaches the confirm score', async () => {
    const macroblocking: DetectorInfo = { name: 'macroblocking', defect: 'macroblocking', needs: { video: { width: 0, height: 0 }, audio: null } };
    const short = (peak: number) => batches('macroblocking', frames('macroblocking', 50, (i) => (i === 20 ? peak : i === 21 ? 0.6 : 0)));
    // Two frames (0.08 s) are under the 0.2 s minimum: only a sure frame makes them an event, opened at once.
    const confirming = { macroblocking: { confirmScore: 0.8 } };
    const sure = await run([macroblocking], short(0.97), confirming);
    expect(sure.defects).toEqual([expect.objectContaining({ type: 'macroblocking', startSec: 0.8, endSec: 0.88 })]);
    expect(sure.log).toEqual(['open macroblocking 0.8', 'close macroblocking 0.8-0.88']);
    expect((await run([macroblocking], short(0.75), confirming)).defects).toEqual([]);
    // A rule without a confirm score keeps the minimum duration however sure the frame.
    expect((await run([macroblocking], short(0.97), { macroblocking: { confirmScore: undefined } })).defects).toEqual([]);
    // The default rule has the confirm score the committed model was calibrated with (0.95).
    expect((await run([macroblocking], short(0.97))).defects).toHaveLength(1);
    expect((await run([macroblocking], short(0.94))).defects).toEqual([]);
  });

  it('keeps one event across a short dip (hysteresis and max gap)', async () => {
    // 0.45 is below the open bar but above the hold bar; two frames at 0.1 are a gap shorter than 0.2 s.
    const score = (i: number): number => (i < 50 || i >= 150 ? 0 : i === 80 ? 0.45 : i === 100 || i === 101 ? 0.1 : 0.9);
    const { defects } = await run([black], batches('black', frames('black', 200, score)));
    expect(defects).toHaveLength(1);
    expect(defects[0]).toMatchObject({ startSec: 2, endSec: 6 });
  });

  it('splits events separated by more than the max gap', async () => {
    const score = (i: number): number => ((i >= 20 && i < 60) || (i >= 80 && i < 120) ? 0.9 : 0);
    const { defects } = await run([black], batches('black', frames('black', 150, score)));
    expect(defects.map((d) => [d.startSec, d.endSec])).toEqual([
      [0.8, 2.4],
      [3.2, 4.8],
    ]);
  });

  it('raises opened while the defect runs and closed when it ends', async () => {
    const { log } = await run([black], batches('black', frames('black', 200, (i) => (i >= 25 && i < 125 ? 1 : 0))));
    expect(log).toEqual(['open black 1', 'close black 1-5']);
  });

  it('closes an event still open at the end of the stream', async () => {
    const { defects, log } = await run([black], batches('black', frames('black', 100, (i) => (i >= 50 ? 1 : 0))));
    expect(defects).toEqual([expect.objectContaining({ startSec: 2, endSec: 4 })]);
    expect(log).toEqual(['open black 2', 'close black 2-4']);
  });

  it('merges interleaved batches from two detector groups', async () => {
    const video = batches('black', frames('black', 100, (i) => (i >= 25 && i < 75 ? 1 : 0)), 25, 'video');
    const audio = batches(
      'silence',
      frames('silence', 100, (i) => (i >= 10 && i < 60 ? 1 : 0)).map((f) => ({ ...f, target: 'audio' as const })),
      25,
      'audio',
    );
    const interleaved = video.flatMap((b, i) => [b, audio[i] as DetectionBatch]);
    const { defects } = await run([black, silence], interleaved);
    expect(defects.map((d) => `${d.type}@${d.startSec}-${d.endSec}`)).toEqual(['silence@0.4-2.4', 'black@1-3']);
  });

  it('honours per-type rule overrides', async () => {
    const input = batches('black', frames('black', 100, (i) => (i >= 10 && i < 15 ? 0.9 : 0)));
    const { defects } = await run([black], input, { black: { minDurationSec: 0.1 } });
    expect(defects).toEqual([expect.objectContaining({ startSec: 0.4, endSec: 0.6 })]);
  });

  it('snapshots closed and open events without changing them, and only the closed ones asked for', async () => {
    const agg = createAggregator();
    await agg.start({ streamId: 's', source: 'x', media, detectors: [black] });
    // Black 1–3 s (closed), then black again from 4 s, still running at 5 s.
    for (const b of batches('black', frames('black', 125, (i) => ((i >= 25 && i < 75) || i >= 100 ? 1 : 0)))) await agg.ingest(b);
    const snap = await agg.snapshot('s');
    expect(snap.closed.map((e) => `${e.startSec}-${e.endSec}`)).toEqual(['1-3']);
    expect(snap.open.map((e) => `${e.startSec}-${e.endSec}`)).toEqual(['4-5']);
    expect(snap.closedCount).toBe(1);
    expect((await agg.snapshot('s', 1)).closed).toEqual([]);
    expect(await agg.snapshot('s')).toEqual(snap);
    expect((await agg.finish('s')).map((e) => `${e.startSec}-${e.endSec}`)).toEqual(['1-3', '4-5']);
  });

  describe('resuming a stream from a snapshot', () => {
    const closed: DefectEvent = { type: 'black', startSec: 1, endSec: 3, confidence: 1, detail: { detector: 'black', peakScore: 1 } };
    const open: DefectEvent = { type: 'black', startSec: 10, endSec: 12, confidence: 0.9, detail: { detector: 'black', peakScore: 1 } };

    async function resume(scoreAt: (i: number) => number): Promise<{ defects: DefectEvent[]; log: string[] }> {
      const log: string[] = [];
      const agg = createAggregator({
        listener: {
          onDefectOpened: (_id, e) => log.push(`open ${e.type} ${e.startSec}`),
          onDefectClosed: (_id, e) => log.push(`close ${e.type} ${e.startSec}-${e.endSec}`),
        },
      });
      await agg.start({ streamId: 's', source: 'x', media, detectors: [black], resume: { closed: [closed], open: [open] } });
      // The resumed attempt's scores start at 20 s on the same timeline (8 s were not watched).
      for (const b of batches('black', frames('black', 100, scoreAt, 500))) await agg.ingest(b);
      return { defects: await agg.finish('s'), log };
    }

    it('continues an open event still defective, without a second "opened", and keeps the closed ones', async () => {
      const { defects, log } = await resume((i) => (i < 550 ? 1 : 0));
      expect(log).toEqual(['close black 10-22']);
      expect(defects.map((e) => `${e.startSec}-${e.endSec}`)).toEqual(['1-3', '10-22']);
    });

    it('closes an open event where it was last seen when the defect is gone', async () => {
      const { defects, log } = await resume((i) => (i >= 550 && i < 600 ? 1 : 0));
      expect(log).toEqual(['close black 10-12', 'open black 22', 'close black 22-24']);
      expect(defects.map((e) => `${e.startSec}-${e.endSec}`)).toEqual(['1-3', '10-12', '22-24']);
    });
  });

  it('rejects batches for a stream it was not started for', async () => {
    const agg = createAggregator();
    await expect(agg.ingest(batches('black', frames('black', 1, () => 0))[0] as DetectionBatch)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
