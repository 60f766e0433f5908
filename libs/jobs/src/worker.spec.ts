import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledError, InputError } from '@framewatch/errors';
import type { DetectionBatch, FrameBatch } from '@framewatch/frame-codec';
import { createLogger } from '@framewatch/observability';
import { createAggregator } from '@framewatch/pipeline';
import type { Detector, DetectorInfo, MediaConverter, MediaInfo, RunnerComponents } from '@framewatch/pipeline';
import { createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';
import type { JobStore, ResultStore } from '@framewatch/storage';
import { Writable } from 'node:stream';
import { createJobEventListener } from './events';
import { resolveJobSource } from './source';
import { createJobWorker } from './worker';

const media: MediaInfo = { durationSec: 4, formatName: 'mp4', video: { codec: 'h264', width: 2, height: 1, fps: 25 }, audio: null };
const black: DetectorInfo = { name: 'black', defect: 'black', needs: { video: { width: 2, height: 1 }, audio: null } };
const quiet = createLogger({ name: 'test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** 4 s of frames; frames 25..74 are "black"; each batch takes `delayMs` to decode. */
function converter(delayMs = 0, fail?: Error): MediaConverter {
  return {
    probe: async () => {
      if (fail) throw fail;
      return media;
    },
    async *decode(_s, _spec, { streamId, signal }) {
      for (let seq = 0; seq < 4; seq++) {
        await new Promise((r) => setTimeout(r, delayMs));
        if (signal?.aborted) throw signal.reason;
        const video = Array.from({ length: 25 }, (_, k) => ({ pts: (seq * 25 + k) * 0.04, index: seq * 25 + k, width: 2, height: 1, format: 'gray' as const, planes: [new Uint8Array(2)] }));
        yield { streamId, seq, startSec: seq, endSec: seq + 1, video, audio: [], final: seq === 3 } satisfies FrameBatch;
      }
    },
  };
}

const detector: Detector = {
  describe: async () => ({ group: 'g', detectors: [black] }),
  detect: async (batch): Promise<DetectionBatch> => ({
    streamId: batch.streamId,
    seq: batch.seq,
    group: 'g',
    detectors: ['black'],
    final: batch.final,
    scores: batch.video.map((f) => ({ target: 'video', index: f.index, pts: f.pts, durationSec: 0.04, scores: { black: f.index >= 25 && f.index < 75 ? 1 : 0 } })),
  }),
  release: async () => undefined,
};

describe('createJobWorker', () => {
  let dir: string;
  let jobs: JobStore;
  let results: ResultStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fw-worker-'));
    jobs = createSqliteJobStore({ file: path.join(dir, 'jobs.sqlite') });
    results = createLocalResultStore({ dir });
  });

  afterEach(async () => {
    await jobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function settled(id: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!['succeeded', 'failed', 'cancelled'].includes((await jobs.get(id))?.status ?? '') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  function worker(components: () => RunnerComponents, leaseSec = 30) {
    const events = createJobEventListener(jobs, quiet);
    return createJobWorker({
      jobs,
      results,
      components,
      resolveSource: resolveJobSource,
      owner: 'w1',
      concurrency: 1,
      leaseSec,
      heartbeatSec: 0.05,
      pollMs: 20,
      framesPerBatch: 25,
      logger: quiet,
      flushEvents: events.flush,
    });
  }

  it('claims a job, stores its report and completes it with events in order', async () => {
    const events = createJobEventListener(jobs, quiet);
    const w = worker(() => ({ converter: converter(), detectors: [detector], aggregator: createAggregator({ listener: events }) }));
    const job = await jobs.create({ source: { url: 'https://example.com/clip.mp4' } });
    expect(await w.runOnce()).toBe(true);
    await settled(job.id);
    await w.stop();
    await events.flush();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'succeeded', attempts: 1, lease: null });
    const report = await results.get(job.id);
    expect(report?.defects).toEqual([expect.objectContaining({ type: 'black', startSec: 1, endSec: 3 })]);
    const types = (await jobs.listEvents(job.id, 0)).filter((e) => e.type !== 'progress').map((e) => `${e.type}${e.type === 'status' ? `:${String(e.data['status'])}` : ''}`);
    expect(types).toEqual(['status:running', 'defect.opened', 'defect.closed', 'status:succeeded']);
  });

  it('fails a job with the error code of its source, and keeps working', async () => {
    const w = worker(() => ({ converter: converter(0, new InputError('INPUT_NOT_MEDIA', 'not media')), detectors: [detector], aggregator: createAggregator() }));
    const bad = await jobs.create({ source: { url: 'https://example.com/notes.mp4' } });
    expect(await w.runOnce()).toBe(true);
    await settled(bad.id);
    await w.stop();
    expect(await jobs.get(bad.id)).toMatchObject({ status: 'failed', error: { code: 'INPUT_NOT_MEDIA', message: 'not media' } });
    expect(await results.get(bad.id)).toBeNull();
  });

  it('refuses a job whose URL is not http(s), even if a record says so', async () => {
    const w = worker(() => ({ converter: converter(), detectors: [detector], aggregator: createAggregator() }));
    const job = await jobs.create({ source: { url: '/etc/passwd' } });
    await w.runOnce();
    await settled(job.id);
    await w.stop();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'failed', error: { code: 'SOURCE_REJECTED' } });
  });

  it('sees a cancellation on its heartbeat and ends the job cancelled', async () => {
    const w = worker(() => ({ converter: converter(100), detectors: [detector], aggregator: createAggregator() }));
    const job = await jobs.create({ source: { url: 'https://example.com/long.mp4' } });
    expect(await w.runOnce()).toBe(true);
    await jobs.requestCancel(job.id);
    await settled(job.id);
    await w.stop();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'cancelled' });
  });

  it('leaves a job it was stopped in the middle of for another worker (no terminal state)', async () => {
    const w = worker(() => ({ converter: converter(100), detectors: [detector], aggregator: createAggregator() }), 1);
    const job = await jobs.create({ source: { url: 'https://example.com/long.mp4' } });
    await w.runOnce();
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    const after = await jobs.get(job.id);
    expect(after?.status).toBe('running');
    expect(after?.lease?.owner).toBe('w1');
  });

  it('completes a job with the report an earlier attempt stored before it stopped, without analysing it again', async () => {
    const events = createJobEventListener(jobs, quiet);
    const first = worker(() => ({ converter: converter(), detectors: [detector], aggregator: createAggregator({ listener: events }) }));
    const analysedBefore = await jobs.create({ source: { url: 'https://example.com/clip.mp4' } });
    await first.runOnce();
    await settled(analysedBefore.id);
    await first.stop();
    const stored = await results.get(analysedBefore.id);
    expect(stored?.status).toBe('succeeded');
    // A job whose first attempt stored its report, then died before marking the job done.
    const job = await jobs.create({ source: { url: 'https://example.com/clip.mp4' } });
    expect(await jobs.claim('crashed', 1)).toMatchObject({ id: job.id, attempts: 1 });
    const report = { ...(stored as NonNullable<typeof stored>), id: job.id };
    await results.put(report);
    await new Promise((r) => setTimeout(r, 1100)); // its lease expires
    let analyses = 0;
    const second = worker(() => {
      analyses++;
      return { converter: converter(), detectors: [detector], aggregator: createAggregator() };
    });
    expect(await second.runOnce()).toBe(true);
    await settled(job.id);
    await second.stop();
    expect(analyses).toBe(0);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'succeeded', attempts: 2, lease: null });
    expect(await results.get(job.id)).toEqual(report);
    const statuses = (await jobs.listEvents(job.id, 0)).filter((e) => e.type === 'status').map((e) => e.data['status']);
    expect(statuses).toEqual(['running', 'succeeded']);
  });

  describe('a live job', () => {
    /** A live source: endless 1 s batches every `delayMs`; frames 25..74 of each attempt are "black". */
    const live = (delayMs: number): MediaConverter => ({
      probe: async () => ({ ...media, durationSec: null }),
      async *decode(_s, _spec, { streamId, signal }) {
        for (let seq = 0; ; seq++) {
          await new Promise((r) => setTimeout(r, delayMs));
          // As the media converter does: an abort surfaces as CANCELLED.
          if (signal?.aborted) throw new CancelledError();
          const video = Array.from({ length: 25 }, (_, k) => ({ pts: (seq * 25 + k) * 0.04, index: seq * 25 + k, width: 2, height: 1, format: 'gray' as const, planes: [new Uint8Array(2)] }));
          yield { streamId, seq, startSec: seq, endSec: seq + 1, video, audio: [], final: false } satisfies FrameBatch;
        }
      },
    });

    function liveWorker(owner: string, alerts: string[]) {
      const aggregator = createAggregator({ listener: { onDefectOpened: (_id, e) => alerts.push(`${owner} opened ${e.type}@${e.startSec}`) } });
      return createJobWorker({
        jobs,
        results,
        components: () => ({ converter: live(150), detectors: [detector], aggregator }),
        resolveSource: resolveJobSource,
        owner,
        concurrency: 1,
        leaseSec: 1,
        heartbeatSec: 0.2,
        pollMs: 20,
        framesPerBatch: 25,
        checkpointSec: 0.2,
        logger: quiet,
      });
    }

    it('checkpoints what it saw, and a worker taking it over resumes the same timeline without alerting again', async () => {
      const alerts: string[] = [];
      const job = await jobs.create({ source: { url: 'https://example.com/live.m3u8' } });
      const first = liveWorker('w1', alerts);
      expect(await first.runOnce()).toBe(true);
      // Wait until the black event that opened at 1 s is in a stored checkpoint, then "die".
      const deadline = Date.now() + 5000;
      let checkpoint = await results.get(job.id);
      while (!checkpoint?.checkpoint?.open.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        checkpoint = await results.get(job.id);
      }
      await first.stop();
      expect(checkpoint).toMatchObject({ status: 'running', checkpoint: { open: [expect.objectContaining({ type: 'black', startSec: 1 })] } });
      expect(alerts).toEqual(['w1 opened black@1']);

      // The lease runs out; another worker claims the job and resumes it from the checkpoint.
      await new Promise((r) => setTimeout(r, 1100));
      const second = liveWorker('w2', alerts);
      expect(await second.runOnce()).toBe(true);
      await new Promise((r) => setTimeout(r, 900));
      await jobs.requestCancel(job.id);
      await settled(job.id);
      await second.stop();

      const report = await results.get(job.id);
      expect(report).toMatchObject({ status: 'cancelled', stats: { resumes: 1 } });
      expect(report?.checkpoint).toBeUndefined();
      const blacks = report?.defects.filter((d) => d.type === 'black') ?? [];
      // The first attempt's event, closed where it was last seen; then the second attempt's own,
      // later on the same timeline (after the first attempt's media and the unwatched gap).
      expect(blacks[0]).toMatchObject({ startSec: 1 });
      expect(blacks[0]?.endSec).toBeLessThanOrEqual(4);
      expect(blacks).toHaveLength(2);
      const secondStart = blacks[1]?.startSec ?? 0;
      expect(secondStart).toBeGreaterThan((blacks[0]?.endSec ?? 0) + 1);
      expect(alerts).toEqual(['w1 opened black@1', `w2 opened black@${secondStart}`]);
    });

    it('stores the events of a live job that fails as a failed report, not a running one', async () => {
      let calls = 0;
      const failing: Detector = {
        ...detector,
        detect: async (batch) => {
          if (++calls > 3) throw new InputError('INPUT_TRUNCATED', 'the stream broke');
          return detector.detect(batch);
        },
      };
      const w = createJobWorker({
        jobs,
        results,
        components: () => ({ converter: live(20), detectors: [failing], aggregator: createAggregator() }),
        resolveSource: resolveJobSource,
        owner: 'w1',
        concurrency: 1,
        leaseSec: 30,
        heartbeatSec: 0.05,
        pollMs: 20,
        framesPerBatch: 25,
        logger: quiet,
      });
      const job = await jobs.create({ source: { url: 'https://example.com/live.m3u8' } });
      await w.runOnce();
      await settled(job.id);
      await w.stop();
      expect(await jobs.get(job.id)).toMatchObject({ status: 'failed', error: { code: 'INPUT_TRUNCATED' } });
      const report = await results.get(job.id);
      expect(report).toMatchObject({ status: 'failed', error: { code: 'INPUT_TRUNCATED' }, defects: [expect.objectContaining({ type: 'black', startSec: 1 })] });
      expect(report?.checkpoint).toBeUndefined();
    });
  });
});
