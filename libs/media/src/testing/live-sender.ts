/**
 * Test support (`@framewatch/media/testing`, for tests only): a real-time MPEG-TS sender on loopback — ffmpeg
 * `-re` from lavfi sources, with a black section in the video and a silent one in the audio at
 * known times of the sender's clock — and free-port helpers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { FrameBatch } from '@framewatch/frame-codec';
import type { DecodeSpec, MediaConverter, SourceEvent } from '@framewatch/pipeline';
import { FFMPEG } from './fixtures';

/** Where the sender's defects are, in seconds of its own clock (from 0 at its first frame). */
export interface SenderTimeline {
  black: [number, number];
  silent: [number, number];
}

/** A running sender. */
export interface TsSender {
  /** Pid of the ffmpeg sending now. */
  readonly pid: number | undefined;
  /** SIGKILL, as a crashed encoder. */
  kill(): Promise<void>;
  /** Kills the sender if it still runs, then starts a new one on the same target; its clock starts again at 0. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `ffmpeg -re` sending `size` (160×90 by default) 25 fps H.264 (1 s GOP, no B-frames) and
 * 48 kHz AAC as MPEG-TS to `target` (`udp://127.0.0.1:P?pkt_size=1316`, or
 * `srt://127.0.0.1:P?mode=listener`: the sender listens and waits for its caller).
 */
export function startTsSender(target: string, timeline: SenderTimeline, options: { durationSec?: number; size?: string } = {}): TsSender {
  const [b0, b1] = timeline.black;
  const [s0, s1] = timeline.silent;
  const durationSec = options.durationSec ?? 120;
  const size = options.size ?? '160x90';
  const start = (): ChildProcess =>
    spawn(
      FFMPEG,
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
        '-f', 'lavfi', '-i', `testsrc2=s=${size}:r=25,drawbox=c=black:t=fill:enable='between(t,${b0},${b1})'`,
        '-f', 'lavfi', '-i', `sine=f=440:r=48000,volume=0:enable='between(t,${s0},${s1})'`,
        '-t', String(durationSec),
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1', '-g', '25', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '64k',
        '-f', 'mpegts', target,
      ],
      { stdio: 'ignore' },
    );
  let child = start();
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill(signal);
    await exited;
  };
  return {
    get pid() {
      return child.pid;
    },
    kill: () => stop('SIGKILL'),
    restart: async () => {
      await stop('SIGKILL');
      child = start();
    },
    close: () => stop('SIGKILL'),
  };
}

/** A UDP port free on 127.0.0.1 right now (SRT runs over UDP too). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** True when a UDP socket can bind `port` on 127.0.0.1 now (nobody holds it). */
export async function udpPortIsFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** A decode of a live source running in the background, as a test watches it. */
export interface LiveRun {
  batches: FrameBatch[];
  events: SourceEvent[];
  /** Media seconds decoded so far. */
  mediaSec(): number;
  /** Stops the decode (abort) and resolves with the error it ended with (null if none). */
  stop(): Promise<unknown>;
  /** Resolves with the error the decode ended with by itself (null if none). */
  ended: Promise<unknown>;
}

/** Starts `converter.decode(url)` and collects its batches and source events until stopped. */
export function runLive(converter: MediaConverter, url: string, spec: DecodeSpec): LiveRun {
  const controller = new AbortController();
  const batches: FrameBatch[] = [];
  const events: SourceEvent[] = [];
  const ended = (async () => {
    for await (const batch of converter.decode({ url }, spec, { streamId: 'live', signal: controller.signal, onSourceEvent: (e) => events.push(e) })) {
      batches.push(batch);
    }
  })().then(
    () => null,
    (err: unknown) => err,
  );
  return {
    batches,
    events,
    mediaSec: () => batches.at(-1)?.endSec ?? 0,
    stop: () => {
      controller.abort();
      return ended;
    },
    ended,
  };
}

/** Mean luma of the frames whose pts is in [from, to). */
export function meanLuma(batches: FrameBatch[], from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (const frame of batches.flatMap((b) => b.video)) {
    if (frame.pts < from || frame.pts >= to) continue;
    const plane = frame.planes[0] as Uint8Array;
    let s = 0;
    for (const v of plane) s += v;
    sum += s / plane.length;
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** RMS of the audio chunks whose pts is in [from, to). */
export function audioRms(batches: FrameBatch[], from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (const chunk of batches.flatMap((b) => b.audio)) {
    if (chunk.pts < from || chunk.pts >= to) continue;
    for (const v of chunk.samples) sum += v * v;
    count += chunk.samples.length;
  }
  return count === 0 ? Number.NaN : Math.sqrt(sum / count);
}
