import path from 'node:path';
import { generateCheckerboardClip, generateClockClip, generateCorruptedPair } from '@framewatch/fixtures';
import type { CorruptedPair } from '@framewatch/fixtures';
import type { AnalysisResult } from '@framewatch/pipeline';
import { runCli, scratch } from './support';

jest.setTimeout(180_000);

const dir = path.join(scratch, 'macroblocking');
const selection = 'black,freeze,silence,clipping,macroblocking';

function analyse(file: string): AnalysisResult {
  const run = runCli(['analyze', file, '--json', '--out', path.join(dir, path.basename(file, '.mkv')), '--detectors', selection]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as AnalysisResult;
}

describe('framewatch analyze --detectors …,macroblocking (the learned detector, ONNX model shipped with the CLI)', () => {
  let pair: CorruptedPair;
  beforeAll(async () => {
    pair = await generateCorruptedPair(dir);
  });

  it('reports the corrupted section as macroblocking, with both boundaries within one GOP', () => {
    const found = analyse(pair.corrupted).defects.filter((d) => d.type === 'macroblocking');
    expect(found).toHaveLength(1);
    const [event] = found as [AnalysisResult['defects'][number]];
    expect(Math.abs(event.startSec - pair.damageStartSec)).toBeLessThanOrEqual(pair.gopSec);
    expect(Math.abs(event.endSec - pair.repairedSec)).toBeLessThanOrEqual(pair.gopSec);
    expect(event.detail).toMatchObject({ detector: 'macroblocking' });
  });

  it('reports nothing on the clean version of the same clip', () => {
    expect(analyse(pair.clean).defects).toEqual([]);
  });

  it('reports nothing on a clean clip of a burnt-in clock whose digits change every frame', async () => {
    // The network alone scores the changing digits as damage (a whole-clip event before the
    // evidence gate); they touch a few blocks, never the 1 % of blocks damage shows in.
    expect(analyse(await generateClockClip(dir)).defects).toEqual([]);
  });

  it('reports nothing on a clean clip of a sharp checkerboard sliding across the picture', async () => {
    // Its edges land on the macroblock grid in 40 % of the blocks at once, which the features
    // count as evidence (one 0.2–5.84 s event before the gate's motion test); but every block that
    // changed is the previous frame shifted, so nothing new appeared.
    expect(analyse(await generateCheckerboardClip(dir)).defects).toEqual([]);
  });

  it('stops with CONFIG_INVALID (exit 2) when the model file is missing, before reading the source', () => {
    const run = runCli(['analyze', pair.clean, '--json', '--out', path.join(dir, 'missing'), '--detectors', selection], { FRAMEWATCH_MACROBLOCKING_MODEL: path.join(dir, 'absent.onnx') });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('absent.onnx does not exist');
  });
});
