import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { FramewatchError } from '@framewatch/errors';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, ffmpeg, makeClip, makeUndecodableAudio, tempDir, truncateCopy } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

let tmp: TempDir;
const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowLocalFiles: true });

async function probeError(file: string, conv = converter): Promise<FramewatchError> {
  try {
    await conv.probe({ url: file });
  } catch (err) {
    return err as FramewatchError;
  }
  throw new Error(`${file} probed fine`);
}

beforeAll(() => {
  tmp = tempDir('probe');
  makeClip(tmp.file('av.mp4'), {
    durationSec: 2,
    video: { width: 320, height: 180, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
  });
  makeClip(tmp.file('video.mp4'), { durationSec: 1, video: { width: 160, height: 90, rate: '30000/1001' } });
  makeClip(tmp.file('audio.m4a'), { durationSec: 1, audio: { sampleRate: 44100, channels: 2 } });
  writeFileSync(tmp.file('text.mp4'), 'This is a plain text file, not a video.\n');
  writeFileSync(tmp.file('empty.mp4'), '');
  mkdirSync(tmp.file('folder.mp4'));
  const av = readFileSync(tmp.file('av.mp4'));
  // Without faststart the moov atom is at the end: cutting the file loses the whole index.
  truncateCopy(tmp.file('av.mp4'), tmp.file('truncated.mp4'), Math.floor(av.length / 2));
  writeFileSync(tmp.file('subs.srt'), '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
  ffmpeg(['-i', tmp.file('subs.srt'), '-c:s', 'srt', tmp.file('subtitles-only.mkv')]);
  makeUndecodableAudio(tmp);
});
afterAll(() => tmp.cleanup());

describe('probe', () => {
  it('describes an H.264 + AAC clip', async () => {
    await expect(converter.probe({ url: tmp.file('av.mp4') })).resolves.toEqual({
      durationSec: expect.closeTo(2, 1),
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      video: { codec: 'h264', width: 320, height: 180, fps: 25 },
      audio: { codec: 'aac', sampleRate: 48000, channels: 1 },
    });
  });

  it('reports a video-only clip with audio null and an NTSC rate as 29.97', async () => {
    const info = await converter.probe({ url: tmp.file('video.mp4') });
    expect(info.audio).toBeNull();
    expect(info.video).toMatchObject({ width: 160, height: 90 });
    expect(info.video?.fps).toBeCloseTo(30000 / 1001, 6);
  });

  it('reports an audio-only file with video null', async () => {
    const info = await converter.probe({ url: tmp.file('audio.m4a') });
    expect(info.video).toBeNull();
    expect(info.audio).toEqual({ codec: 'aac', sampleRate: 44100, channels: 2 });
  });
});

describe('probe of bad inputs (S8)', () => {
  it.each([
    ['missing.mp4', 'INPUT_NOT_FOUND', /does not exist/],
    ['folder.mp4', 'INPUT_NOT_FOUND', /not a regular file/],
    ['empty.mp4', 'INPUT_EMPTY', /empty/],
    ['text.mp4', 'INPUT_NOT_MEDIA', /is not a media file/],
    ['truncated.mp4', 'INPUT_TRUNCATED', /moov atom\) is missing/],
    ['subtitles-only.mkv', 'INPUT_UNSUPPORTED', /no audio or video stream/],
    ['mpegh.mp4', 'INPUT_UNSUPPORTED', /mpegh_3d_audio codec, which this ffmpeg cannot decode/],
  ])('fails %s with %s and a one-line message', async (name, code, message) => {
    const err = await probeError(tmp.file(name));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/\n|ffmpeg version|Copyright|\[mov/);
  });

  it('refuses frames larger than maxFramePixels', async () => {
    const strict = createMediaConverter({ ffprobePath: FFPROBE, allowLocalFiles: true, maxFramePixels: 320 * 179 });
    const err = await probeError(tmp.file('av.mp4'), strict);
    expect(err.code).toBe('INPUT_UNSUPPORTED');
    expect(err.message).toMatch(/320×180 frames, more than the limit/);
  });

  it('refuses media longer than maxDurationSec', async () => {
    const strict = createMediaConverter({ ffprobePath: FFPROBE, allowLocalFiles: true, maxDurationSec: 1 });
    const err = await probeError(tmp.file('av.mp4'), strict);
    expect(err.code).toBe('INPUT_UNSUPPORTED');
    expect(err.message).toMatch(/lasts 2 s, more than the limit of 1 s/);
  });

  it('reports a missing ffprobe binary as a configuration problem', async () => {
    const broken = createMediaConverter({ ffprobePath: tmp.file('no-ffprobe-here'), allowLocalFiles: true });
    const err = await probeError(tmp.file('av.mp4'), broken);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/cannot run .*no-ffprobe-here \(ENOENT\)/);
  });
});
