import { chmodSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, makeClip, tempDir } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

// ffprobe is replaced by a script that logs each call, then runs the real binary.
let tmp: TempDir;
let log: string;

function recordingFfprobe(): string {
  const script = tmp.file('ffprobe');
  writeFileSync(script, `#!/bin/sh\necho call >> "${log}"\nexec ${FFPROBE} "$@"\n`);
  chmodSync(script, 0o755);
  return script;
}

const calls = (): number => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
const spec = { video: { width: 64, height: 36 }, audio: null, framesPerBatch: 5 };

beforeAll(() => {
  tmp = tempDir('probe-reuse');
  log = tmp.file('calls.log');
  writeFileSync(log, '');
  makeClip(tmp.file('clip.mp4'), { durationSec: 1, video: { width: 64, height: 36, rate: '25' } });
});
afterAll(() => tmp.cleanup());

describe('probe reuse for local files', () => {
  it('probes an unchanged file once for probe + decode, and again once the file changes', async () => {
    const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: recordingFfprobe(), allowLocalFiles: true });
    const source = { url: tmp.file('clip.mp4') };
    const info = await converter.probe(source);
    let frames = 0;
    for await (const batch of converter.decode(source, spec, { streamId: 's' })) frames += batch.video.length;
    expect(frames).toBe(25);
    expect(info.video?.fps).toBe(25);
    expect(calls()).toBe(1);

    const later = new Date(Date.now() + 5000);
    utimesSync(source.url, later, later);
    await converter.probe(source);
    expect(calls()).toBe(2);
  });

  it('does not share probes between converters', async () => {
    writeFileSync(log, '');
    const ffprobePath = recordingFfprobe();
    const source = { url: tmp.file('clip.mp4') };
    await createMediaConverter({ ffprobePath, allowLocalFiles: true }).probe(source);
    await createMediaConverter({ ffprobePath, allowLocalFiles: true }).probe(source);
    expect(calls()).toBe(2);
  });
});
