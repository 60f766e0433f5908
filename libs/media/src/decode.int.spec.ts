import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FramewatchError } from '@framewatch/errors';
import type { FrameBatch } from '@framewatch/frame-codec';
import type { DecodeSpec } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, ffmpeg, makeClip, tempDir, truncateCopy } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

let tmp: TempDir;
const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowLocalFiles: true });
const reduced: DecodeSpec = {
  video: { width: 160, height: 90 },
  audio: { sampleRate: 48000, channels: 1 },
  framesPerBatch: 10,
};
/** `reduced` with the decoder's error reports asked for. */
const withReports: DecodeSpec = { ...reduced, video: { width: 160, height: 90, decoderReports: true } };

async function collect(file: string, spec: DecodeSpec = reduced): Promise<FrameBatch[]> {
  const batches: FrameBatch[] = [];
  for await (const batch of converter.decode({ url: file }, spec, { streamId: 'an-test' })) batches.push(batch);
  return batches;
}

/** `VideoFrame.decodeErrors` of every frame of `file`, 0 where absent. */
async function reportsOf(file: string, spec: DecodeSpec = withReports): Promise<number[]> {
  return (await collect(file, spec)).flatMap((b) => b.video).map((f) => f.decodeErrors ?? 0);
}

async function decodeError(file: string, spec: DecodeSpec = reduced): Promise<FramewatchError> {
  try {
    await collect(file, spec);
  } catch (err) {
    return err as FramewatchError;
  }
  throw new Error(`${file} decoded fine`);
}

/** The invariants every decode must keep, whatever the source. */
function expectBatchInvariants(batches: FrameBatch[]): void {
  expect(batches.length).toBeGreaterThan(0);
  batches.forEach((b, i) => {
    expect(b.streamId).toBe('an-test');
    expect(b.seq).toBe(i);
    expect(b.final).toBe(i === batches.length - 1);
    expect(b.endSec).toBeGreaterThanOrEqual(b.startSec);
    if (i > 0) expect(b.startSec).toBe(batches[i - 1].endSec);
    for (const f of b.video) expect(f.pts >= b.startSec && f.pts < b.endSec).toBe(true);
    for (const c of b.audio) expect(c.pts >= b.startSec && c.pts < b.endSec).toBe(true);
  });
  const frames = batches.flatMap((b) => b.video);
  frames.forEach((f, i) => expect(f.index).toBe(i));
  const chunks = batches.flatMap((b) => b.audio);
  chunks.forEach((c, i) => expect(c.index).toBe(i));
}

beforeAll(() => {
  tmp = tempDir('decode');
  makeClip(tmp.file('av.mp4'), {
    durationSec: 4,
    video: { width: 320, height: 180, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
  });
  makeClip(tmp.file('video.mp4'), { durationSec: 2, video: { width: 320, height: 180, rate: '25' } });
  makeClip(tmp.file('ntsc.mp4'), {
    durationSec: 2,
    video: { width: 160, height: 90, rate: '30000/1001' },
    audio: { sampleRate: 48000, channels: 2 },
  });
  makeClip(tmp.file('audio.m4a'), { durationSec: 2, audio: { sampleRate: 44100, channels: 2 } });
  const faststart = makeClip(tmp.file('faststart.mp4'), {
    durationSec: 4,
    video: { width: 320, height: 180, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
    faststart: true,
  });
  const bytes = readFileSync(faststart);
  const mdat = bytes.indexOf('mdat');
  // Index intact, media cut at 60%: a download that broke off.
  truncateCopy(faststart, tmp.file('cut-in-media.mp4'), Math.floor(bytes.length * 0.6));
  // Index intact, no media at all after it.
  truncateCopy(faststart, tmp.file('cut-after-index.mp4'), mdat + 100);
});
afterAll(() => tmp.cleanup());

describe('decode of an H.264 + AAC clip', () => {
  let batches: FrameBatch[];
  beforeAll(async () => {
    batches = await collect(tmp.file('av.mp4'));
  });

  it('yields duration × fps luma frames of the requested size', () => {
    const frames = batches.flatMap((b) => b.video);
    expect(frames).toHaveLength(100);
    for (const f of frames) {
      expect(f).toMatchObject({ width: 160, height: 90, format: 'gray' });
      expect(f.planes).toHaveLength(1);
      expect(f.planes[0].byteLength).toBe(160 * 90);
    }
  });

  it('puts frame i at i / fps', () => {
    const frames = batches.flatMap((b) => b.video);
    frames.forEach((f, i) => expect(f.pts).toBeCloseTo(i / 25, 9));
  });

  it('cuts audio into one-frame chunks aligned with the video and as long as the media', () => {
    const chunks = batches.flatMap((b) => b.audio);
    chunks.slice(0, -1).forEach((c, i) => {
      expect(c.pts).toBeCloseTo(i / 25, 9);
      expect(c.samples.length).toBe(1920);
      expect(c).toMatchObject({ sampleRate: 48000, channels: 1 });
    });
    const seconds = chunks.reduce((sum, c) => sum + c.samples.length, 0) / 48000;
    expect(seconds).toBeGreaterThan(3.98);
    expect(seconds).toBeLessThan(4.03);
    // A 440 Hz sine at ffmpeg's default amplitude: real samples, not zeros.
    const peak = Math.max(...chunks[10].samples.map(Math.abs));
    expect(peak).toBeGreaterThan(0.1);
    expect(peak).toBeLessThanOrEqual(1);
  });

  it('keeps seq gap-free, time ranges contiguous, and only the last batch final', () => {
    expectBatchInvariants(batches);
    expect(batches.slice(0, 10).every((b) => b.video.length === 10 && b.audio.length === 10)).toBe(true);
  });

  it('gives frames with real picture content, different from frame to frame', () => {
    const [a, b] = [batches[0].video[0].planes[0], batches[0].video[5].planes[0]];
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(16);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
  });
});

describe('decode geometry and stream layouts', () => {
  it('decodes full-size luma for a 0×0 request', async () => {
    const batches = await collect(tmp.file('video.mp4'), { ...reduced, video: { width: 0, height: 0 } });
    const frames = batches.flatMap((b) => b.video);
    expect(frames).toHaveLength(50);
    expect(frames[0]).toMatchObject({ width: 320, height: 180 });
    expect(frames[0].planes[0].byteLength).toBe(320 * 180);
  });

  it('matches full-size luma when scaled down: the reduced plane is the downscaled picture', async () => {
    const spec = { video: { width: 0, height: 0 }, audio: null, framesPerBatch: 5 };
    const [full] = await collect(tmp.file('video.mp4'), spec);
    const [small] = await collect(tmp.file('video.mp4'), { ...spec, video: { width: 160, height: 90 } });
    const big = full.video[0].planes[0];
    const little = small.video[0].planes[0];
    let diff = 0;
    for (let y = 0; y < 90; y += 1) {
      for (let x = 0; x < 160; x += 1) {
        const b = (big[2 * y * 320 + 2 * x] + big[2 * y * 320 + 2 * x + 1] + big[(2 * y + 1) * 320 + 2 * x] + big[(2 * y + 1) * 320 + 2 * x + 1]) / 4;
        diff += Math.abs(b - little[y * 160 + x]);
      }
    }
    expect(diff / (160 * 90)).toBeLessThan(12);
  });

  it('decodes a video-only file with no audio chunks', async () => {
    const batches = await collect(tmp.file('video.mp4'));
    expectBatchInvariants(batches);
    expect(batches.flatMap((b) => b.video)).toHaveLength(50);
    expect(batches.flatMap((b) => b.audio)).toHaveLength(0);
  });

  it('decodes an audio-only file into 40 ms chunks, N per batch, resampled to the spec', async () => {
    const batches = await collect(tmp.file('audio.m4a'));
    expectBatchInvariants(batches);
    const chunks = batches.flatMap((b) => b.audio);
    expect(batches.flatMap((b) => b.video)).toHaveLength(0);
    expect(batches[0].audio).toHaveLength(10);
    expect(batches[0].endSec).toBeCloseTo(0.4, 9);
    chunks.slice(0, -1).forEach((c, i) => {
      expect(c.samples.length).toBe(1920);
      expect(c.pts).toBeCloseTo(i * 0.04, 9);
    });
    const seconds = chunks.reduce((sum, c) => sum + c.samples.length, 0) / 48000;
    expect(seconds).toBeGreaterThan(1.98);
    expect(seconds).toBeLessThan(2.06);
  });

  it('keeps 29.97 fps audio chunks of 1601/1602 stereo samples on the frame timeline', async () => {
    const batches = await collect(tmp.file('ntsc.mp4'), { ...reduced, audio: { sampleRate: 48000, channels: 2 } });
    expectBatchInvariants(batches);
    const chunks = batches.flatMap((b) => b.audio);
    const frames = batches.flatMap((b) => b.video);
    expect(frames.length).toBeGreaterThanOrEqual(59);
    for (const c of chunks.slice(0, -1)) {
      expect([1601 * 2, 1602 * 2]).toContain(c.samples.length);
      expect(c.pts).toBeGreaterThanOrEqual((c.index * 1001) / 30000);
      expect(c.pts).toBeLessThan(((c.index + 1) * 1001) / 30000);
    }
  });

  it('emits a single empty final batch when the source has none of the requested streams', async () => {
    const batches = await collect(tmp.file('audio.m4a'), { video: { width: 0, height: 0 }, audio: null, framesPerBatch: 10 });
    expect(batches).toEqual([{ streamId: 'an-test', seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true }]);
  });

  it('treats a file name full of shell syntax as a plain name (no shell)', async () => {
    const name = tmp.file('$(touch pwned);`touch pwned2`|x&.mp4');
    copyFileSync(tmp.file('video.mp4'), name);
    const batches = await collect(name);
    expect(batches.flatMap((b) => b.video)).toHaveLength(50);
    expect(existsSync('pwned')).toBe(false);
    expect(existsSync(tmp.file('pwned'))).toBe(false);
  });
});

describe('decode of damaged files', () => {
  it("counts the decoder's error reports on the frames of a damaged section, and none elsewhere", async () => {
    // 4 s of testsrc2, keyframe every second; packets 30–34 (1.2–1.4 s) damaged in transmission.
    const clean = makeClip(tmp.file('reports-clean.mkv'), { durationSec: 4, video: { width: 320, height: 180, rate: '25' } });
    const damaged = tmp.file('reports-damaged.mkv');
    ffmpeg(['-i', clean, '-c', 'copy', '-bsf:v', 'noise=amount=if(between(n\\,30\\,34)\\,200\\,0)', damaged]);
    expect(await reportsOf(clean)).toEqual(new Array(100).fill(0));
    const reports = await reportsOf(damaged);
    expect(reports).toHaveLength(100);
    const reported = reports.flatMap((count, i) => (count > 0 ? [i] : []));
    expect(reported.length).toBeGreaterThan(0);
    // Given by ffmpeg's log order: the damaged frames or the few before them (reorder delay).
    expect(Math.min(...reported)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...reported)).toBeLessThan(50);
    // Not asked for, none are counted.
    expect(await reportsOf(damaged, reduced)).toEqual(new Array(100).fill(0));
  });

  it('gives each report to the same frame however fast or slow the output is read', async () => {
    const clean = makeClip(tmp.file('order-clean.mkv'), { durationSec: 4, video: { width: 320, height: 180, rate: '25' } });
    const damaged = tmp.file('order-damaged.mkv');
    ffmpeg(['-i', clean, '-c', 'copy', '-bsf:v', 'noise=amount=if(between(n\\,20\\,60)\\,150\\,0)', damaged]);
    // One frame per batch and a consumer that waits: stdout is paused while the log runs on.
    const slowly = async (): Promise<number[]> => {
      const counts: number[] = [];
      for await (const batch of converter.decode({ url: damaged }, { ...withReports, framesPerBatch: 1 }, { streamId: 'slow' })) {
        for (const frame of batch.video) counts.push(frame.decodeErrors ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return counts;
    };
    const first = await reportsOf(damaged);
    expect(first.filter((count) => count > 0).length).toBeGreaterThan(3);
    // Three at once on two cores, and one read slowly, are read in other interleavings.
    const others = await Promise.all([reportsOf(damaged), reportsOf(damaged), reportsOf(damaged), slowly()]);
    for (const counts of others) expect(counts).toEqual(first);
  });

  it('hears no reports on a stream joined between two keyframes: the decoder only complains about the frames it skips', async () => {
    const whole = tmp.file('joined-whole.ts');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', whole]);
    // From a TS packet a third of the way in: the first 2 s GOP, joined in its middle.
    const bytes = readFileSync(whole);
    const joined = tmp.file('joined.ts');
    writeFileSync(joined, bytes.subarray(188 * Math.floor(bytes.length / 188 / 3)));
    const frames = (await collect(joined, withReports)).flatMap((b) => b.video);
    expect(frames.length).toBeGreaterThan(25);
    expect(frames.map((f) => f.decodeErrors ?? 0)).toEqual(new Array(frames.length).fill(0));
  });

  it('decodes what is there of a file cut in its media data and finishes normally', async () => {
    const batches = await collect(tmp.file('cut-in-media.mp4'));
    expectBatchInvariants(batches);
    const frames = batches.flatMap((b) => b.video).length;
    expect(frames).toBeGreaterThan(20);
    expect(frames).toBeLessThan(100);
  });

  it('reports INPUT_TRUNCATED when nothing decodable follows the index', async () => {
    const err = await decodeError(tmp.file('cut-after-index.mp4'));
    expect(err.code).toBe('INPUT_TRUNCATED');
    expect(err.message).toMatch(/cut-after-index\.mp4 ends before any complete frame/);
  });

  it('rejects a malformed spec before starting ffmpeg', async () => {
    const err = await decodeError(tmp.file('video.mp4'), { ...reduced, framesPerBatch: 0 });
    expect(err.code).toBe('USAGE');
  });
});
