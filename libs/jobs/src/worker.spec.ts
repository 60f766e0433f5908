import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@framewatch/errors';
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
});
