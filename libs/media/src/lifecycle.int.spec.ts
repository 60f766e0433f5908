import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CancelledError } from '@framewatch/errors';
import type { FramewatchError } from '@framewatch/errors';
import type { DecodeSpec } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, bytesWritten, childPids, makeClip, processExists, tempDir, waitFor } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

let tmp: TempDir;
let clip: string;
const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowLocalFiles: true, allowPrivateSources: true });
// 8 s of 320×180 luma at 25 fps: 200 frames, 11.5 MB of planes, 20 batches of 576 KB.
const spec: DecodeSpec = { video: { width: 0, height: 0 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 10 };
const batchBytes = 10 * 320 * 180;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  tmp = tempDir('lifecycle');
  clip = makeClip(tmp.file('clip.mp4'), {
    durationSec: 8,
    video: { width: 320, height: 180, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
  });
});
afterAll(() => tmp.cleanup());

afterEach(async () => {
  // No test may leave a child behind, whatever it asserted.
  expect(await waitFor(() => childPids('ffmpeg').length === 0 && childPids('ffprobe').length === 0, 3000)).toBe(true);
});

describe('cancellation', () => {
  it('kills and reaps ffmpeg when the signal aborts mid-decode, and surfaces CancelledError', async () => {
    const controller = new AbortController();
    let pids: number[] = [];
    let seen = 0;
    let error: unknown;
    try {
      for await (const batch of converter.decode({ url: clip }, spec, { streamId: 'a', signal: controller.signal })) {
        seen += 1;
        if (batch.seq === 1) {
          pids = childPids('ffmpeg');
          setTimeout(() => controller.abort(), 20);
          await sleep(100);
        }
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as FramewatchError).code).toBe('CANCELLED');
    expect(seen).toBe(2);
    expect(pids).toHaveLength(1);
    expect(processExists(pids[0])).toBe(false);
  });

  it('kills and reaps ffmpeg when the consumer breaks out of the loop', async () => {
    let pids: number[] = [];
    for await (const batch of converter.decode({ url: clip }, spec, { streamId: 'b' })) {
      pids = childPids('ffmpeg');
      if (batch.seq === 0) break;
    }
    expect(pids).toHaveLength(1);
    expect(processExists(pids[0])).toBe(false);
  });

  it('fails at once, spawning nothing, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const iterator = converter.decode({ url: clip }, spec, { streamId: 'c', signal: controller.signal })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(CancelledError);
    expect(childPids('ffprobe')).toEqual([]);
  });

  it('kills ffprobe when the signal aborts during a probe', async () => {
    const sockets = new Set<Socket>();
    const server = createServer(() => undefined); // never answers
    server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/clip.mp4`;
    try {
      const controller = new AbortController();
      const probing = converter.probe({ url }, controller.signal);
      expect(await waitFor(() => childPids('ffprobe').length === 1, 2000)).toBe(true);
      const [pid] = childPids('ffprobe');
      const started = Date.now();
      controller.abort();
      await expect(probing).rejects.toBeInstanceOf(CancelledError);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(processExists(pid)).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('wall-clock cap (S7)', () => {
  it('stops a decode that outlives maxWallSec with SOURCE_TIMEOUT and reaps ffmpeg', async () => {
    const capped = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowLocalFiles: true, maxWallSec: 0.8 });
    let pids: number[] = [];
    let error: unknown;
    const started = Date.now();
    try {
      for await (const batch of capped.decode({ url: clip }, spec, { streamId: 'wall' })) {
        if (batch.seq === 0) {
          pids = childPids('ffmpeg');
          await sleep(1200); // a consumer this slow keeps ffmpeg paused past the cap
        }
      }
    } catch (err) {
      error = err;
    }
    expect((error as FramewatchError).code).toBe('SOURCE_TIMEOUT');
    expect((error as FramewatchError).message).toMatch(/exceeded the 0.8 s wall-clock limit/);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(pids).toHaveLength(1);
    expect(processExists(pids[0])).toBe(false);
  });
});

describe('back-pressure (L2)', () => {
  it('pauses ffmpeg behind a slow consumer, bounding what it decoded ahead, and loses nothing', async () => {
    let frames = 0;
    let pid = 0;
    let aheadBytes = -1;
    let alive = false;
    for await (const batch of converter.decode({ url: clip }, spec, { streamId: 'slow' })) {
      frames += batch.video.length;
      if (batch.seq < 3) await sleep(300);
      if (batch.seq === 2) {
        [pid] = childPids('ffmpeg');
        alive = processExists(pid);
        aheadBytes = bytesWritten(pid) - 3 * batchBytes;
      }
    }
    expect(frames).toBe(200);
    // Still running after 900 ms on an input it decodes in ~150 ms: it was held back.
    expect(alive).toBe(true);
    // ≤ 2 queued batches, ~2 being assembled, the pipe buffers, and the audio alongside.
    expect(aheadBytes).toBeGreaterThan(0);
    expect(aheadBytes).toBeLessThan(5 * batchBytes + 512 * 1024);
  });
});
