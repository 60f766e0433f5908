import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';

/** Where a sender's defects are, in seconds of its own clock (0 at its first frame). */
export interface LiveTsTimeline {
  black: [number, number];
  silent: [number, number];
}

/** A live MPEG-TS sender: ffmpeg encoding in real time to a UDP or SRT target. */
export interface LiveTs {
  /** SIGKILL, as a crashed encoder; resolves once it is gone. */
  kill(): Promise<void>;
  /** Kills the sender if it still runs and starts a new one on the same target (its clock starts again at 0). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `ffmpeg -re` sending 320×180 25 fps H.264 (1 s GOP) and a 440 Hz AAC tone as MPEG-TS to
 * `target` — `udp://127.0.0.1:P?pkt_size=1316`, or `srt://127.0.0.1:P?mode=listener` (the sender
 * listens and waits for its caller) — with the video black and the audio silent where `timeline`
 * says.
 */
export function startLiveTs(target: string, timeline: LiveTsTimeline): LiveTs {
  const [b0, b1] = timeline.black;
  const [s0, s1] = timeline.silent;
  const start = (): ChildProcess =>
    spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
      '-f', 'lavfi', '-i', `testsrc2=s=320x180:r=25,drawbox=c=black:t=fill:enable='between(t,${b0},${b1})'`,
      '-f', 'lavfi', '-i', `sine=f=440:r=48000,volume=0:enable='between(t,${s0},${s1})'`,
      '-t', '120', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-threads', '1', '-g', '25', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-f', 'mpegts', target,
    ], { stdio: 'ignore' });
  let sender = start();
  const kill = async (): Promise<void> => {
    const current = sender;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGKILL');
    await exited;
  };
  return {
    kill,
    restart: async () => {
      await kill();
      sender = start();
    },
    close: kill,
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
