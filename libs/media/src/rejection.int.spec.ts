import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FramewatchError } from '@framewatch/errors';
import type { MediaConverter } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, makeClip, tempDir } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

// ffmpeg and ffprobe are replaced by scripts that log every call and then run the real binary:
// a rejected source must leave the log empty (RELIABILITY S1: refused before ffmpeg is spawned).
let tmp: TempDir;
let log: string;
let converter: MediaConverter;
const spec = { video: { width: 64, height: 36 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 5 };

function recorder(name: string, real: string): string {
  const script = tmp.file(name);
  writeFileSync(script, `#!/bin/sh\necho "${name} $*" >> "${log}"\nexec ${real} "$@"\n`);
  chmodSync(script, 0o755);
  return script;
}

async function failure(run: () => Promise<unknown>): Promise<FramewatchError> {
  try {
    await run();
  } catch (err) {
    return err as FramewatchError;
  }
  throw new Error('accepted');
}

async function drain(source: string): Promise<number> {
  let n = 0;
  for await (const batch of converter.decode({ url: source }, spec, { streamId: 's' })) n += batch.video.length;
  return n;
}

beforeAll(() => {
  tmp = tempDir('reject');
  log = tmp.file('calls.log');
  // Local files allowed, as in the CLI: even the most permissive setting refuses these.
  converter = createMediaConverter({
    ffmpegPath: recorder('ffmpeg', FFMPEG),
    ffprobePath: recorder('ffprobe', FFPROBE),
    allowLocalFiles: true,
    allowPrivateSources: false,
  });
  makeClip(tmp.file('ok.mp4'), { durationSec: 1, video: { width: 64, height: 36, rate: '25' } });
});
afterAll(() => tmp.cleanup());

const hostile = [
  'file:///etc/passwd',
  'concat:/etc/passwd|/etc/hosts',
  'subfile,,start,0,end,0,,:/etc/passwd',
  'data:video/mp4;base64,AAAAIGZ0eXBpc29t',
  'pipe:0',
  '-i',
  '-f lavfi -i testsrc',
  'ftp://x/clip.mp4',
  'http://127.0.0.1/clip.mp4',
  'http://localhost/clip.mp4',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::1]:8080/clip.mp4',
  'http://10.0.0.1/clip.mp4',
];

describe('rejected sources never reach ffmpeg (S1)', () => {
  it.each(hostile)('probe(%j) fails with SOURCE_REJECTED and spawns nothing', async (source) => {
    const err = await failure(() => converter.probe({ url: source }));
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(existsSync(log)).toBe(false);
  });

  it.each(hostile)('decode(%j) fails with SOURCE_REJECTED and spawns nothing', async (source) => {
    const err = await failure(() => drain(source));
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(existsSync(log)).toBe(false);
  });

  // Runs last: proves the recorders do record, so the empty log above means something.
  it('records the calls of an accepted source (control)', async () => {
    expect(await drain(tmp.file('ok.mp4'))).toBe(25);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^ffprobe .*-protocol_whitelist file .*-i file:\//);
    expect(calls[1]).toMatch(/^ffmpeg -nostdin .*-protocol_whitelist file .*-i file:\//);
  });
});
