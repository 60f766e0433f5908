import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateFixture } from '@framewatch/fixtures';
import type { AnalysisResult } from '@framewatch/pipeline';
import { repoRoot, runCli, scratch } from './support';

jest.setTimeout(180_000);

const fixturesDir = path.join(scratch, 'fixtures');
const defectFixtures = ['black', 'freeze', 'silence', 'clipping'] as const;
const tolerance = 0.1;

async function analyse(name: string, extra: string[] = []): Promise<{ report: AnalysisResult; truth: Awaited<ReturnType<typeof generateFixture>>['truth'] }> {
  const fixture = await generateFixture(name, fixturesDir);
  const out = path.join(scratch, 'out', name);
  const run = runCli(['analyze', fixture.mediaPath, '--json', '--out', out, ...extra]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const report = JSON.parse(run.stdout) as AnalysisResult;
  return { report, truth: fixture.truth };
}

describe('framewatch analyze on fixtures with injected defects', () => {
  it.each(defectFixtures)('finds every injected %s segment within 0.1 s and nothing else', async (name) => {
    const { report, truth } = await analyse(name);
    expect(report.defects.map((d) => d.type).sort()).toEqual(truth.defects.map((d) => d.type).sort());
    for (const expected of truth.defects) {
      const found = report.defects.find((d) => d.type === expected.type && Math.abs(d.startSec - expected.startSec) <= tolerance);
      expect(found).toBeDefined();
      expect(Math.abs((found?.startSec ?? NaN) - expected.startSec)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs((found?.endSec ?? NaN) - expected.endSec)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('reports nothing on clean moving content with quiet audio', async () => {
    const { report } = await analyse('clean');
    expect(report.defects).toEqual([]);
    expect(report.stats.videoFrames).toBeGreaterThan(0);
    expect(report.stats.audioChunks).toBeGreaterThan(0);
  });

  it('writes report.json (schema v1) and report.html to --out', async () => {
    const { report } = await analyse('black');
    const out = path.join(scratch, 'out', 'black');
    const onDisk = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as AnalysisResult;
    expect(onDisk).toEqual(report);
    expect(onDisk).toMatchObject({ schemaVersion: 1, status: 'succeeded', source: 'black.mp4' });
    expect(onDisk.id).toMatch(/^an-/);
    expect(onDisk.media.video).toMatchObject({ codec: 'h264' });
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('runs only the detectors asked for', async () => {
    const { report } = await analyse('black', ['--detectors', 'silence,clipping']);
    expect(report.defects).toEqual([]);
  });

  it('prints a summary table without --json and exits 1 with --fail-on-defect', async () => {
    const fixture = await generateFixture('black', fixturesDir);
    const run = runCli(['analyze', fixture.mediaPath, '--out', path.join(scratch, 'out', 'summary'), '--fail-on-defect']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/black/);
    expect(run.stdout).toMatch(/Report: .*report\.json/);
  });

  it('works through `npx framewatch` from the repository root', async () => {
    const fixture = await generateFixture('silence', fixturesDir);
    const stdout = execFileSync('npx', ['--no-install', 'framewatch', 'analyze', fixture.mediaPath, '--json', '--out', path.join(scratch, 'out', 'npx')], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect((JSON.parse(stdout) as AnalysisResult).defects.map((d) => d.type)).toEqual(fixture.truth.defects.map((d) => d.type));
  });
});

describe('framewatch analyze on bad input', () => {
  const bad = path.join(scratch, 'bad');

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', bad]);
    writeFileSync(path.join(bad, 'empty.mp4'), '');
    writeFileSync(path.join(bad, 'notes.mp4'), 'this is a text file, not a video\n'.repeat(50));
    const clean = await generateFixture('clean', fixturesDir);
    // A non-faststart MP4 cut in half loses its index (moov atom) entirely.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clean.mediaPath, '-c', 'copy', '-movflags', '-faststart', path.join(bad, 'tail-moov.mp4')]);
    const whole = readFileSync(path.join(bad, 'tail-moov.mp4'));
    writeFileSync(path.join(bad, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 2)));
    // A file with only a subtitle stream: media, but nothing Framewatch can watch.
    writeFileSync(path.join(bad, 'subs.srt'), '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(bad, 'subs.srt'), '-c:s', 'mov_text', path.join(bad, 'subtitles-only.mp4')]);
  });

  it.each([
    ['a missing file', 'missing.mp4', 'INPUT_NOT_FOUND'],
    ['a zero-byte file', 'empty.mp4', 'INPUT_EMPTY'],
    ['a text file named .mp4', 'notes.mp4', 'INPUT_NOT_MEDIA'],
    ['a truncated file', 'truncated.mp4', 'INPUT_TRUNCATED'],
    ['a file with no audio or video', 'subtitles-only.mp4', 'INPUT_UNSUPPORTED'],
  ])('exits 2 with one clear line for %s', (_kind, file, code) => {
    const target = path.join(bad, file);
    if (file !== 'missing.mp4') expect(existsSync(target)).toBe(true);
    const run = runCli(['analyze', target, '--json', '--out', path.join(scratch, 'out', 'bad')]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^framewatch: ${code}: `));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['file:///etc/passwd'],
    ['concat:a.mp4|b.mp4'],
    ['http://127.0.0.1:9/clip.mp4'],
  ])('refuses the source %s before decoding (exit 2)', (source) => {
    const run = runCli(['analyze', source, '--json', '--out', path.join(scratch, 'out', 'bad')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^framewatch: SOURCE_REJECTED: /);
  });

  it('exits 2 for usage errors', () => {
    const noSource = runCli(['analyze']);
    expect(noSource.status).toBe(2);
    expect(noSource.stderr).toMatch(/^framewatch: USAGE: /);
    const unknownDetector = runCli(['analyze', 'x.mp4', '--detectors', 'sparkle']);
    expect(unknownDetector.status).toBe(2);
    expect(unknownDetector.stderr.trim().split('\n')).toHaveLength(1);
  });
});
