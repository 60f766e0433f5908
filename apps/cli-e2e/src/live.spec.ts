import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import { startLiveHls } from '@framewatch/e2e-support';
import type { LiveHls } from '@framewatch/e2e-support';
import type { AnalysisResult } from '@framewatch/pipeline';
import { cliBundle, repoRoot, scratch, until } from './support';

jest.setTimeout(120_000);

const dir = path.join(scratch, 'live');

describe('framewatch analyze on a live HLS stream', () => {
  let source: LiveHls;

  beforeAll(async () => {
    // Black from 4 s to 6.5 s and silence from 8 s to 11 s of the encoder's time.
    source = await startLiveHls(dir);
  });

  afterAll(async () => {
    await source.close();
  });

  it('prints defects as they happen (signal loss too), runs until Ctrl-C, then writes the report of what it saw (exit 130)', async () => {
    const cli = spawn(process.execPath, [cliBundle(), 'analyze', source.url, '--json', '--out', path.join(dir, 'report'), '--allow-private-sources'], {
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
    source.kill();
    expect(await until(() => /defect opened: signal_loss/.test(stderr), 30_000)).toBe(true);
    source.restart();
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
