import { CancelledError } from '@framewatch/errors';
import { failureOf } from '@framewatch/errors/testing';
import type { DecodeSpec } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import type { MediaLogger } from './settings';
import { FFMPEG, FFPROBE, childPids, processExists, waitFor } from './testing/fixtures';
import { freeUdpPort, meanLuma, runLive, startTsSender } from './testing/live-sender';
import type { TsSender } from './testing/live-sender';

/**
 * Live MPEG-TS over SRT (caller mode) through the converter: a reader ffmpeg calls the checked
 * address and remuxes to a pipe, the decoder ffmpeg reads only that pipe — against a real
 * `ffmpeg -re … -f mpegts srt://…?mode=listener` sender on loopback.
 */
jest.setTimeout(30_000);

const spec: DecodeSpec = { video: { width: 80, height: 45 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 25 };
const timeline = { black: [2, 3.5] as [number, number], silent: [4, 5.5] as [number, number] };
const streamId = 'secret-stream-id-42';
let sender: TsSender | null = null;

/** Every log line the converter writes, as text. */
function recordingLogger(): MediaLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (obj: unknown, msg?: string) => {
    lines.push(`${JSON.stringify(obj)} ${msg ?? ''}`);
  };
  return { lines, debug: record, info: record, warn: record } as unknown as MediaLogger & { lines: string[] };
}

afterEach(async () => {
  await sender?.close();
  sender = null;
  expect(await waitFor(() => childPids('ffmpeg').length === 0 && childPids('ffprobe').length === 0, 3000)).toBe(true);
});

/** The converter's own ffmpeg processes (reader and decoder), the sender left out. */
function ourPids(): number[] {
  return childPids('ffmpeg').filter((pid) => pid !== sender?.pid);
}

describe('srt:// sources', () => {
  it('calls the checked address (not the name), decodes the stream, reconnects after the sender restarts, and reaps both ffmpegs on abort', async () => {
    const port = await freeUdpPort();
    const logger = recordingLogger();
    // The name resolves only through this lookup: ffmpeg can connect only if it was given the address.
    const converter = createMediaConverter({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      allowPrivateSources: true,
      liveStallSec: 1,
      ioTimeoutSec: 5,
      logger,
      lookup: async (host) => (host === 'sender.test' ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    sender = startTsSender(`srt://127.0.0.1:${port}?mode=listener`, timeline);
    const url = `srt://sender.test:${port}?latency=120000&streamid=${streamId}`;
    const run = runLive(converter, url, spec);
    const seen = new Set<number>();
    try {
      expect(await waitFor(() => run.mediaSec() >= 4, 20_000)).toBe(true);
      // The listener starts its clock when we connect: the black section is where it put it.
      expect(meanLuma(run.batches, 0.5, 1.8)).toBeGreaterThan(60);
      expect(meanLuma(run.batches, 2.2, 3.3)).toBeLessThan(20);
      const frames = run.batches.flatMap((b) => b.video);
      expect(frames.every((f, i) => f.width === 80 && f.height === 45 && Math.abs(f.pts - i / 25) < 1e-9)).toBe(true);
      const first = ourPids();
      expect(first).toHaveLength(2); // the reader and the decoder
      first.forEach((pid) => seen.add(pid));

      await sender.kill();
      expect(await waitFor(() => run.events.some((e) => e.type === 'stalled'), 5000)).toBe(true);
      // The reader notices the silent connection and calls again, with back-off, until the sender is back.
      expect(await waitFor(() => run.events.some((e) => e.type === 'retry'), 8000)).toBe(true);
      expect(run.events.find((e) => e.type === 'retry')).toMatchObject({ url: `srt://sender.test:${port}`, attempt: 1, delayMs: 500 });
      await sender.restart();
      expect(await waitFor(() => run.events.some((e) => e.type === 'resumed'), 15_000)).toBe(true);
      const before = run.mediaSec();
      expect(await waitFor(() => run.mediaSec() >= before + 1.5, 10_000)).toBe(true);
      const now = ourPids();
      expect(now).toHaveLength(2);
      // The decoder kept running across the reconnect; the reader is a new one.
      expect(now.filter((pid) => first.includes(pid))).toHaveLength(1);
      now.forEach((pid) => seen.add(pid));
    } finally {
      expect(await run.stop()).toBeInstanceOf(CancelledError);
    }
    expect([...seen].every((pid) => !processExists(pid))).toBe(true);
    // The stream id is a secret: not in events, not in any log line (argv included).
    expect(JSON.stringify(run.events)).not.toContain(streamId);
    expect(logger.lines.some((l) => l.includes('starting the SRT reader') && l.includes('-srt_streamid [redacted]'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(streamId);
  });

  it('probes over the same connection the decode then uses (a listener that serves one caller keeps serving)', async () => {
    const port = await freeUdpPort();
    const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowPrivateSources: true, liveStallSec: 1, ioTimeoutSec: 5 });
    sender = startTsSender(`srt://127.0.0.1:${port}?mode=listener`, timeline);
    const url = `srt://127.0.0.1:${port}`;
    expect(await converter.probe({ url })).toMatchObject({ durationSec: null, formatName: 'mpegts', video: { width: 160, height: 90, fps: 25 } });
    const run = runLive(converter, url, spec);
    try {
      expect(await waitFor(() => run.mediaSec() >= 2, 10_000)).toBe(true);
      expect(run.events.filter((e) => e.type === 'retry')).toEqual([]);
    } finally {
      await run.stop();
    }
  });

  it('refuses a loopback or private SRT host unless private sources are allowed, and a listener mode or unknown option, before spawning anything', async () => {
    const converter = createMediaConverter({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      lookup: async (host) => (host === 'inside.test' ? [{ address: '10.1.2.3', family: 4 }] : []),
    });
    for (const url of ['srt://127.0.0.1:9000', 'srt://inside.test:9000', 'srt://[::1]:9000']) {
      const err = await failureOf(converter.probe({ url }));
      expect(err.code).toBe('SOURCE_REJECTED');
      expect(err.detail).toMatchObject({ reason: 'destination' });
    }
    const permissive = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowPrivateSources: true });
    for (const url of ['srt://127.0.0.1:9000?mode=listener', 'srt://127.0.0.1:9000?mode=rendezvous', 'srt://127.0.0.1:9000?localport=5000']) {
      const err = await failureOf(permissive.probe({ url }));
      expect(err.code).toBe('SOURCE_REJECTED');
      expect(err.message).not.toContain('?');
    }
    expect(childPids('ffmpeg')).toEqual([]);
  });

  it('fails with SOURCE_TIMEOUT, saying why, when nobody answers the call within the I/O timeout', async () => {
    const port = await freeUdpPort();
    const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowPrivateSources: true, ioTimeoutSec: 4 });
    const started = Date.now();
    const err = await failureOf(converter.probe({ url: `srt://127.0.0.1:${port}?streamid=${streamId}` }));
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(err.message).toMatch(new RegExp(`^srt://127\\.0\\.0\\.1:${port} sent nothing within 4 s \\(last: .+\\)$`));
    expect(err.message).not.toContain(streamId);
    expect(Date.now() - started).toBeLessThan(7000);
  });
});
