import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import type { AnalysisResult } from '@framewatch/pipeline';
import { cliBundle, repoRoot, scratch } from './support';

jest.setTimeout(120_000);

const dir = path.join(scratch, 'live');

/**
 * A live HLS stream made by ffmpeg in real time (`-re`, 1 s segments, a rolling 6-segment
 * playlist without #EXT-X-ENDLIST): 320×180 video, black from 4 s to 6.5 s of the source's
 * time; a tone, silent from 8 s to 11 s.
 */
function startLiveSource(fresh = true): ChildProcess {
  if (fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const video = "testsrc2=s=320x180:r=25,drawbox=c=black:t=fill:enable='between(t,4,6.5)'";
  const audio = "sine=f=440:r=48000,volume=0:enable='between(t,8,11)'";
  return spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
    '-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', audio, '-t', '40',
    '-c:v', 'libx264', '-preset', 'veryfast', '-threads', '1', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0',
    '-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments',
    path.join(dir, 'live.m3u8'),
  ], { stdio: 'ignore' });
}

async function serveDir(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = path.join(dir, path.basename((req.url ?? '/').split('?')[0] ?? ''));
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const until = async (check: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
};

describe('framewatch analyze on a live HLS stream', () => {
  let source: ChildProcess;
  let site: { url: string; server: Server };

  beforeAll(async () => {
    source = startLiveSource();
    site = await serveDir();
    expect(await until(() => existsSync(path.join(dir, 'live.m3u8')), 15_000)).toBe(true);
  });

  afterAll(async () => {
    source.kill('SIGKILL');
    await new Promise<void>((resolve) => site.server.close(() => resolve()));
  });

  it('prints defects as they happen (signal loss too), runs until Ctrl-C, then writes the report of what it saw (exit 130)', async () => {
    const cli = spawn(process.execPath, [cliBundle(), 'analyze', `${site.url}/live.m3u8`, '--json', '--out', path.join(dir, 'report'), '--allow-private-sources'], {
      cwd: repoRoot,
      env: childEnvironment({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    cli.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));

    // The stream never ends: the defects are announced while it runs.
    const seen = await until(() => /defect closed: black/.test(stderr) && /defect closed: silence/.test(stderr), 60_000);
    expect(cli.exitCode).toBeNull();
    expect(seen).toBe(true);
    expect(stderr).toMatch(/defect opened: black/);
    expect(stderr.indexOf('defect opened: black')).toBeLessThan(stderr.indexOf('defect closed: black'));

    // The source dies: its playlist stops moving. Then a new encoder takes over the same playlist.
    source.kill('SIGKILL');
    expect(await until(() => /defect opened: signal_loss/.test(stderr), 30_000)).toBe(true);
    source = startLiveSource(false);
    expect(await until(() => /defect closed: signal_loss/.test(stderr), 30_000)).toBe(true);
    const afterLoss = stderr.length;
    // Analysis goes on after the loss: the new source's black (4 s into it) is found too.
    expect(await until(() => stderr.indexOf('defect closed: black', afterLoss) >= 0, 30_000)).toBe(true);

    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    const report = JSON.parse(stdout) as AnalysisResult;
    expect(report).toMatchObject({ status: 'cancelled', media: { durationSec: null } });
    expect(JSON.parse(readFileSync(path.join(dir, 'report', 'report.json'), 'utf8'))).toEqual(report);
    const losses = report.defects.filter((d) => d.type === 'signal_loss');
    expect(losses).toHaveLength(1);
    // Silent for at least the stall threshold (3 target durations) before it was reported.
    expect((losses[0]?.endSec ?? 0) - (losses[0]?.startSec ?? 0)).toBeGreaterThanOrEqual(3);
    expect(report.defects.filter((d) => d.type === 'black')).toHaveLength(2);
    const black = report.defects.find((d) => d.type === 'black');
    const silence = report.defects.find((d) => d.type === 'silence');
    expect((black?.endSec ?? 0) - (black?.startSec ?? 0)).toBeCloseTo(2.5, 0);
    expect((silence?.endSec ?? 0) - (silence?.startSec ?? 0)).toBeCloseTo(3, 0);
    expect(report.stats.videoFrames).toBeGreaterThan(250);
  });
});
