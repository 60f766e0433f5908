/**
 * `npm run bench`: what a Framewatch analysis costs next to ffmpeg alone, on the same clip in
 * one run, runs interleaved so machine noise hits every contender alike.
 *   (a) decode floor:    ffmpeg -i clip -f null -
 *   (b) ffmpeg's own QC: blackdetect,freezedetect + silencedetect,astats
 *   (c) framewatch analyze (all detectors)
 * plus (a1)/(b1), the same ffmpeg commands with one decoder thread: Framewatch decodes each
 * stream on one thread by default (FRAMEWATCH_DECODE_THREADS), and threads cost CPU, so the
 * like-for-like ratios are printed too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateFixture } from '@framewatch/fixtures';
import { measure, median } from './cpu';
import type { Measurement } from './cpu';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const root = process.cwd();
  const dir = path.join(root, 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const clip = await generateFixture('bench-720p', path.join(dir, 'fixtures'));
  const cli = path.join(root, 'dist', 'apps', 'cli', 'main.js');

  const contenders: Record<string, [string, string[]]> = {
    'a: ffmpeg decode (-f null)': ['ffmpeg', ['-nostdin', '-v', 'error', '-i', clip.mediaPath, '-f', 'null', '-']],
    'b: ffmpeg QC filters': [
      'ffmpeg',
      ['-nostdin', '-v', 'error', '-i', clip.mediaPath, '-vf', 'blackdetect,freezedetect', '-af', 'silencedetect,astats', '-f', 'null', '-'],
    ],
    'c: framewatch analyze': [process.execPath, [cli, 'analyze', clip.mediaPath, '--json', '--out', path.join(dir, 'report')]],
    'a1: ffmpeg decode, 1 thread': ['ffmpeg', ['-nostdin', '-v', 'error', '-threads', '1', '-i', clip.mediaPath, '-f', 'null', '-']],
    'b1: ffmpeg QC filters, 1 thread': [
      'ffmpeg',
      ['-nostdin', '-v', 'error', '-threads', '1', '-i', clip.mediaPath, '-vf', 'blackdetect,freezedetect', '-af', 'silencedetect,astats', '-f', 'null', '-'],
    ],
  };
  const samples: Record<string, Measurement[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, [command, args]] of Object.entries(contenders)) {
      samples[name]?.push(await measure(command, args));
    }
  }

  const rows = Object.entries(samples).map(([name, list]) => ({
    name,
    cpuSec: round(median(list.map((m) => m.cpuSec))),
    wallSec: round(median(list.map((m) => m.wallSec))),
    cpuRuns: list.map((m) => round(m.cpuSec)),
  }));
  const [a, b, c, a1, b1] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  const ratios = {
    cOverA: round(c.cpuSec / a.cpuSec),
    cOverB: round(c.cpuSec / b.cpuSec),
    cOverA1: round(c.cpuSec / a1.cpuSec),
    cOverB1: round(c.cpuSec / b1.cpuSec),
  };
  const result = {
    clip: { path: path.relative(root, clip.mediaPath), ...clip.truth.video, durationSec: clip.truth.durationSec },
    runs,
    node: process.version,
    measuredAt: new Date().toISOString(),
    rows,
    ratios,
    targets: { cOverAMax: 1.5, cOverBMax: 1 },
  };
  console.log(`clip: ${result.clip.path}, medians of ${runs} interleaved runs (CPU = user+sys of all processes)`);
  console.log('| contender | CPU s | wall s |');
  console.log('|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.name} | ${row.cpuSec.toFixed(2)} | ${row.wallSec.toFixed(2)} |`);
  console.log(`(c)/(a) CPU = ${ratios.cOverA.toFixed(2)} (target ≤ 1.5); (c)/(b) CPU = ${ratios.cOverB.toFixed(2)} (target < 1)`);
  console.log(`one decoder thread each: (c)/(a1) CPU = ${ratios.cOverA1.toFixed(2)}; (c)/(b1) CPU = ${ratios.cOverB1.toFixed(2)}`);
  const out = path.join(dir, 'analyze.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`written: ${path.relative(root, out)}`);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
