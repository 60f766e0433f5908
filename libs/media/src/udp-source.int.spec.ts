import { createSocket } from 'node:dgram';
import { CancelledError } from '@framewatch/errors';
import { failureOf } from '@framewatch/errors/testing';
import type { DecodeSpec } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, childPids, processExists, waitFor } from './testing/fixtures';
import { audioRms, freeUdpPort, meanLuma, runLive, startTsSender, udpPortIsFree } from './testing/live-sender';
import type { TsSender } from './testing/live-sender';

/**
 * Live MPEG-TS over UDP through the converter: Framewatch binds the port itself (node:dgram) and
 * pipes the datagrams into an ffmpeg that only has the `pipe` protocol — against a real
 * `ffmpeg -re` sender on loopback.
 */
jest.setTimeout(30_000);

// With the decoder's reports, so that a live decode is also checked with every frame held until
// ffmpeg's log has passed it (the HLS and SRT specs decode without).
const spec: DecodeSpec = { video: { width: 80, height: 45, decoderReports: true }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 25 };
const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowUdpSources: true, liveStallSec: 1, ioTimeoutSec: 5 });
const timeline = { black: [2, 3.5] as [number, number], silent: [4, 5.5] as [number, number] };
let sender: TsSender | null = null;

afterEach(async () => {
  await sender?.close();
  sender = null;
  // Every ffmpeg and ffprobe the converter started is gone (reaped, not a zombie).
  expect(await waitFor(() => childPids('ffmpeg').length === 0 && childPids('ffprobe').length === 0, 3000)).toBe(true);
});

/** The converter's own ffmpeg processes (the sender is one too). */
function decoderPids(): number[] {
  return childPids('ffmpeg').filter((pid) => pid !== sender?.pid);
}

describe('udp:// sources', () => {
  it('decodes live UDP MPEG-TS into FrameBatches on the stream timeline: sizes, rate, and the black and silent sections where the sender put them', async () => {
    const port = await freeUdpPort();
    const run = runLive(converter, `udp://127.0.0.1:${port}`, spec);
    try {
      // Bound before the sender starts, so the decode starts with the sender's first frame.
      expect(await waitFor(() => run.events.some((e) => e.type === 'listening'), 5000)).toBe(true);
      sender = startTsSender(`udp://127.0.0.1:${port}?pkt_size=1316`, timeline);
      expect(await waitFor(() => run.mediaSec() >= 6.5, 20_000)).toBe(true);

      const frames = run.batches.flatMap((b) => b.video);
      expect(frames[0]).toMatchObject({ index: 0, pts: 0, width: 80, height: 45 });
      expect(frames.every((f, i) => f.index === i && Math.abs(f.pts - i / 25) < 1e-9 && f.planes[0]?.length === 80 * 45)).toBe(true);
      for (const batch of run.batches) {
        expect(batch.video).toHaveLength(25);
        expect(batch.endSec - batch.startSec).toBeCloseTo(1, 9);
        expect(batch.final).toBe(false);
      }
      const chunks = run.batches.flatMap((b) => b.audio);
      expect(chunks[0]).toMatchObject({ sampleRate: 48000, channels: 1 });
      expect(chunks.every((c) => c.samples.length === 48000 / 25)).toBe(true);

      // testsrc2 is bright; the drawbox section is black (limited-range luma 16).
      expect(meanLuma(run.batches, 0.5, 1.8)).toBeGreaterThan(60);
      expect(meanLuma(run.batches, 2.2, 3.3)).toBeLessThan(20);
      expect(meanLuma(run.batches, 3.8, 6)).toBeGreaterThan(60);
      expect(audioRms(run.batches, 0.5, 3.8)).toBeGreaterThan(0.05);
      expect(audioRms(run.batches, 4.2, 5.3)).toBeLessThan(0.005);
      expect(audioRms(run.batches, 5.8, 6.4)).toBeGreaterThan(0.05);
    } finally {
      await run.stop();
    }
  });

  it('reports stalled when the sender dies and resumed when it comes back; an abort reaps ffmpeg and frees the port', async () => {
    const port = await freeUdpPort();
    sender = startTsSender(`udp://127.0.0.1:${port}?pkt_size=1316`, timeline);
    const run = runLive(converter, `udp://127.0.0.1:${port}`, spec);
    let pids: number[] = [];
    try {
      expect(await waitFor(() => run.mediaSec() >= 2, 15_000)).toBe(true);
      pids = decoderPids();
      expect(pids).toHaveLength(1);
      await sender.kill();
      const killedAt = Date.now();
      expect(await waitFor(() => run.events.some((e) => e.type === 'stalled'), 5000)).toBe(true);
      // The stall time is 1 s; the last datagrams may still have been in flight at the kill.
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(700);
      expect(run.events.some((e) => e.type === 'resumed')).toBe(false);

      await sender.restart();
      expect(await waitFor(() => run.events.some((e) => e.type === 'resumed'), 5000)).toBe(true);
      const resumed = run.events.find((e) => e.type === 'resumed');
      expect(resumed?.['stalledForMs']).toBeGreaterThanOrEqual(1000);
      // The same decoder goes on with the new sender's stream (its clock restarted at 0).
      const before = run.mediaSec();
      expect(await waitFor(() => run.mediaSec() >= before + 1.5, 10_000)).toBe(true);
      expect(decoderPids()).toEqual(pids);
    } finally {
      const ended = await run.stop();
      expect(ended).toBeInstanceOf(CancelledError);
    }
    expect(pids.every((pid) => !processExists(pid))).toBe(true);
    expect(await udpPortIsFree(port)).toBe(true);
    // Only the datagrams' presence is watched: one stall, one resume.
    expect(run.events.filter((e) => e.type === 'stalled')).toHaveLength(1);
  });

  it('probes without losing the connection: the probe reports a live MPEG-TS stream and the decode takes over its socket', async () => {
    const port = await freeUdpPort();
    sender = startTsSender(`udp://127.0.0.1:${port}?pkt_size=1316`, timeline);
    const media = await converter.probe({ url: `udp://127.0.0.1:${port}` });
    expect(media).toEqual({
      durationSec: null,
      formatName: 'mpegts',
      video: { codec: 'h264', width: 160, height: 90, fps: 25 },
      audio: { codec: 'aac', sampleRate: 48000, channels: 1 },
    });
    // Still bound: parked for the decode. Probing again answers from the parked socket.
    expect(await udpPortIsFree(port)).toBe(false);
    expect(await converter.probe({ url: `udp://127.0.0.1:${port}` })).toEqual(media);
    const run = runLive(converter, `udp://127.0.0.1:${port}`, spec);
    try {
      expect(await waitFor(() => run.mediaSec() >= 2, 10_000)).toBe(true);
      // The parked socket was taken over, not bound again.
      expect(run.events.some((e) => e.type === 'listening')).toBe(false);
    } finally {
      await run.stop();
    }
    expect(await udpPortIsFree(port)).toBe(true);
  });

  it('releases a probed source that no decode takes within the park time', async () => {
    const port = await freeUdpPort();
    sender = startTsSender(`udp://127.0.0.1:${port}?pkt_size=1316`, timeline);
    await converter.probe({ url: `udp://@:${port}` });
    const probedAt = Date.now();
    expect(await udpPortIsFree(port)).toBe(false);
    let free = false;
    while (!free && Date.now() - probedAt < 8000) {
      await new Promise((r) => setTimeout(r, 250));
      free = await udpPortIsFree(port);
    }
    expect(free).toBe(true);
    expect(Date.now() - probedAt).toBeGreaterThanOrEqual(4500);
  });

  it('fails with SOURCE_TIMEOUT when no datagram arrives within the I/O timeout, and frees the port', async () => {
    const quick = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowUdpSources: true, ioTimeoutSec: 1 });
    const port = await freeUdpPort();
    const started = Date.now();
    const err = await failureOf(quick.probe({ url: `udp://127.0.0.1:${port}` }));
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(err.message).toContain(`udp://127.0.0.1:${port} sent nothing within 1 s`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await udpPortIsFree(port)).toBe(true);
  });

  it('refuses udp:// unless allowed (no port is bound), and names a port already in use', async () => {
    const port = await freeUdpPort();
    const api = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE });
    const refused = await failureOf(api.probe({ url: `udp://127.0.0.1:${port}` }));
    expect(refused.code).toBe('SOURCE_REJECTED');
    const decoding = (async () => {
      for await (const batch of api.decode({ url: `udp://@:${port}` }, spec, { streamId: 'x' })) void batch;
    })();
    expect((await failureOf(decoding)).code).toBe('SOURCE_REJECTED');

    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(port, '127.0.0.1', resolve));
    try {
      const busy = await failureOf(converter.probe({ url: `udp://127.0.0.1:${port}` }));
      expect(busy.code).toBe('INPUT_NOT_FOUND');
      expect(busy.message).toMatch(/already in use/);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('joins a multicast group', async () => {
    const port = await freeUdpPort();
    const group = `239.255.${(port >> 8) & 0xff}.${port & 0xff}`;
    // Multicast loops back to local members; ttl=0 keeps it on this host.
    sender = startTsSender(`udp://${group}:${port}?pkt_size=1316&ttl=0`, timeline);
    const url = `udp://@${group}:${port}`;
    const media = await converter.probe({ url });
    expect(media).toMatchObject({ durationSec: null, video: { width: 160, height: 90 } });
    const run = runLive(converter, url, spec);
    try {
      expect(await waitFor(() => run.mediaSec() >= 1, 10_000)).toBe(true);
    } finally {
      await run.stop();
    }
  });
});
