import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A live HLS stream on loopback, encoded by ffmpeg in real time. */
export interface LiveHls {
  /** The playlist URL. */
  url: string;
  /** Kills the encoder: the playlist stays, frozen (no #EXT-X-ENDLIST). */
  kill(): void;
  /** Starts a new encoder on the same playlist (its segment numbers start again at 0). */
  restart(): void;
  /** Stops everything. */
  close(): Promise<void>;
}

/**
 * Starts a live HLS stream in `dir`, served on 127.0.0.1: ffmpeg (`-re`, 1 s segments, a rolling
 * 6-segment playlist) encodes 320×180 testsrc2 video, black from 4 s to 6.5 s of the encoder's
 * time, and a tone, silent from 8 s to 11 s; then resolves once the playlist exists.
 */
export async function startLiveHls(dir: string): Promise<LiveHls> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const encode = (): ChildProcess =>
    spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
      '-f', 'lavfi', '-i', "testsrc2=s=320x180:r=25,drawbox=c=black:t=fill:enable='between(t,4,6.5)'",
      '-f', 'lavfi', '-i', "sine=f=440:r=48000,volume=0:enable='between(t,8,11)'",
      '-t', '60', '-c:v', 'libx264', '-preset', 'veryfast', '-threads', '1', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0',
      '-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments',
      path.join(dir, 'live.m3u8'),
    ], { stdio: 'ignore' });
  let encoder = encode();
  const server = createServer((req, res) => {
    const file = path.join(dir, path.basename((req.url ?? '/').split('?')[0] ?? ''));
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const deadline = Date.now() + 15_000;
  while (!existsSync(path.join(dir, 'live.m3u8'))) {
    if (Date.now() > deadline) throw new Error('the live encoder wrote no playlist in 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.m3u8`,
    kill: () => void encoder.kill('SIGKILL'),
    restart: () => {
      encoder.kill('SIGKILL');
      encoder = encode();
    },
    close: async () => {
      encoder.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
