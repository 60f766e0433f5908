import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import { freeUdpPort, startTsSender } from '@framewatch/media/testing';
import type { TsSender } from '@framewatch/media/testing';
import type { AnalysisResult } from '@framewatch/pipeline';
import { cliBundle, repoRoot, scratch, until } from './support';

jest.setTimeout(60_000);

/** `framewatch analyze <url> --json` running, with what it printed so far. */
function analyze(url: string, out: string, flags: string[] = []) {
  const cli = spawn(process.execPath, [cliBundle(), 'analyze', url, '--json', '--out', out, ...flags], {
    cwd: repoRoot,
    // A 1 s stall opens signal_loss; the default is 2 s.
    env: childEnvironment({ FRAMEWATCH_LIVE_STALL_SEC: '1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  cli.stdout?.on('data', (d: Buffer) => (output.stdout += d.toString()));
  cli.stderr?.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  return { cli, output, exited };
}

/**
 * The run every live source must pass: defects printed as they happen, the sender killed (a
 * `signal_loss` opens) and restarted (it closes), Ctrl-C → exit 130 with the report of what was
 * seen.
 */
async function watchThroughLossAndCtrlC(source: TsSender, run: ReturnType<typeof analyze>, out: string): Promise<AnalysisResult> {
  const { output } = run;
  const seen = await until(() => /defect closed: black/.test(output.stderr) && /defect closed: silence/.test(output.stderr), 30_000);
  expect(run.cli.exitCode).toBeNull();
  expect(seen).toBe(true);
  expect(output.stderr.indexOf('defect opened: black')).toBeLessThan(output.stderr.indexOf('defect closed: black'));

  await source.kill();
  expect(await until(() => /defect opened: signal_loss/.test(output.stderr), 10_000)).toBe(true);
  await source.restart();
  expect(await until(() => /defect closed: signal_loss/.test(output.stderr), 20_000)).toBe(true);

  run.cli.kill('SIGINT');
  expect(await run.exited).toBe(130);
  const report = JSON.parse(output.stdout) as AnalysisResult;
  expect(report).toMatchObject({ status: 'cancelled', media: { durationSec: null, video: { width: 320, height: 180, fps: 25 } } });
  expect(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'))).toEqual(report);
  const losses = report.defects.filter((d) => d.type === 'signal_loss');
  expect(losses).toHaveLength(1);
  expect((losses[0]?.endSec ?? 0) - (losses[0]?.startSec ?? 0)).toBeGreaterThanOrEqual(1);
  const black = report.defects.find((d) => d.type === 'black');
  const silence = report.defects.find((d) => d.type === 'silence');
  expect((black?.endSec ?? 0) - (black?.startSec ?? 0)).toBeCloseTo(2, 0);
  expect((silence?.endSec ?? 0) - (silence?.startSec ?? 0)).toBeCloseTo(3, 0);
  return report;
}

describe('framewatch analyze on live UDP and SRT streams', () => {
  let source: TsSender | null = null;
  afterEach(async () => {
    await source?.close();
    source = null;
  });

  it('udp://127.0.0.1:PORT: listens, prints defects and signal loss as they happen, ends on Ctrl-C (exit 130)', async () => {
    const port = await freeUdpPort();
    const out = path.join(scratch, 'live-udp');
    // Sending before the CLI listens, as a live feed does: the CLI joins mid-stream.
    source = startTsSender(`udp://127.0.0.1:${port}?pkt_size=1316`, { black: [6, 8], silent: [9, 12] }, { size: '320x180' });
    const run = analyze(`udp://127.0.0.1:${port}`, out);
    const report = await watchThroughLossAndCtrlC(source, run, out);
    expect(report.source).toBe(`udp://127.0.0.1:${port}`);
    expect(run.output.stderr).toContain(`watching udp://127.0.0.1:${port}`);
  });

  it('srt://127.0.0.1:PORT: calls the sender, reconnects after it restarts, ends on Ctrl-C; the stream id never shows', async () => {
    const port = await freeUdpPort();
    const out = path.join(scratch, 'live-srt');
    const secret = 'e2e-stream-secret';
    const url = `srt://127.0.0.1:${port}?streamid=${secret}&latency=120000`;

    // Loopback is an internal destination: refused unless private sources are allowed, before any connection.
    const refused = spawnSync(process.execPath, [cliBundle(), 'analyze', url, '--json', '--out', out], { cwd: repoRoot, encoding: 'utf8', env: childEnvironment({}) });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^framewatch: SOURCE_REJECTED: srt:\/\/127\.0\.0\.1:\d+ resolves to 127\.0\.0\.1, a loopback address/);
    expect(refused.stderr).not.toContain(secret);

    // The sender listens; its clock starts when Framewatch calls.
    source = startTsSender(`srt://127.0.0.1:${port}?mode=listener`, { black: [3, 5], silent: [6, 9] }, { size: '320x180' });
    const run = analyze(url, out, ['--allow-private-sources']);
    const report = await watchThroughLossAndCtrlC(source, run, out);
    expect(report.source).toBe(`srt://127.0.0.1:${port}`);
    expect(run.output.stderr).not.toContain(secret);
    expect(run.output.stdout).not.toContain(secret);
  });
});
