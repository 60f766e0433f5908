import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_NEEDS, MacroblockFeatureTracker } from '@framewatch/detectors';
import { createMediaConverter } from '@framewatch/media';
import { FFMPEG_SAME_ON_EVERY_CPU, X264_SAME_ON_EVERY_CPU } from '@framewatch/fixtures';
import { createPrng } from '@framewatch/seeded-random';
import type { Prng } from '@framewatch/seeded-random';

/**
 * Which set a clip belongs to; each set uses its own lavfi sources. `validation` is for choosing
 * between variants of features, labels or training, so that `test` (the held-out figures) is not
 * what they are chosen on.
 */
export type Split = 'train' | 'validation' | 'test' | 'stress' | 'text';

/** One clean clip to encode: a lavfi graph template (`{s}` = size, `{r}` = rate) at one size and GOP. */
export interface ClipSpec {
  id: string;
  split: Split;
  source: string;
  width: number;
  height: number;
  gop: number;
  frames: number;
}

/** One decoded clip, clean or corrupted: its frames' features, labels and blockdetect scores. */
export interface ClipData {
  id: string;
  /** The lavfi graph template of the clip's content (see {@link TRAIN_SOURCES}, {@link VALIDATION_SOURCES}, {@link TEST_SOURCES}). */
  source: string;
  split: Split;
  /** False for the clean decode (every label 0). */
  corrupted: boolean;
  /** Frame-major features, `frames × MACROBLOCK_FEATURE_COUNT`. */
  features: Float32Array;
  /** 1 when the frame differs visibly from the clean decode (see {@link labelFrame}). */
  labels: Uint8Array;
  /** 1 for a frame with a small difference from the clean decode, or one the decoder lost (held from the previous frame): left out of training and of per-frame metrics. */
  ambiguous: Uint8Array;
  /** ffmpeg blockdetect's `lavfi.block` per frame. */
  blockdetect: Float32Array;
  /** Share of damaged blocks per frame (0 on the clean decode). */
  damage: Float32Array;
  /** 1 when the frame's change is one the previous frame, still or moved as a whole, does not explain (`MacroblockFeatureTracker.changeUnexplained`): the evidence gate's input beside the features. */
  unexplained: Uint8Array;
  /**
   * The decoder's error reports per frame (capped at 255; 0 on a clean decode), as Framewatch's own
   * media converter gives them to the detector (`VideoFrame.decodeErrors`): the
   * `DecoderReportGate`'s input.
   */
  decodeErrors: Uint8Array;
  /** Frames from one keyframe of the clip's encode to the next (its GOP). */
  gop: number;
}

/** Options of {@link generateDataset}. */
export interface GenerateOptions {
  /** Working directory for the encoded clips (created, and emptied first). */
  workDir: string;
  seed: number;
  /** Frames per clip (25 fps). Default 150. */
  frames?: number;
  /** Clips per (source) in each split: sizes drawn from {@link SIZES}. Default 3. */
  clipsPerSource?: number;
  /** Clips per held-out (and validation) source, when those sets should be larger than `clipsPerSource` gives. */
  heldOutClipsPerSource?: number;
  /** Corrupted variants per clean clip. Default 2. */
  variants?: number;
  /** Concurrent ffmpeg jobs. Default 2. */
  concurrency?: number;
  /** Only the first n sources of each split (for a quick test). */
  sourcesPerSplit?: number;
  /** Which splits to generate. Default train, validation and test (not stress or text). */
  splits?: readonly Split[];
}

/**
 * Clean content for training. Every source must render the same frames on every run (ffmpeg's
 * `gradients` does not, even with a seed, so it is not used).
 */
export const TRAIN_SOURCES: readonly string[] = [
  'testsrc2=s={s}:r={r}',
  'mandelbrot=s={s}:r={r}',
  'life=s={s}:r={r}:seed=7:mold=10:ratio=0.2:death_color=#303030:life_color=#d0d0d0,format=yuv420p',
  'smptehdbars=s={s}:r={r},scroll=h=0.004:v=0.002',
  "nullsrc=s={s}:r={r},geq=lum='128+90*sin((X+T*50)/W*6.28)*cos(Y/H*3.14)':cb=128:cr=128",
  'mandelbrot=s={s}:r={r},eq=brightness=-0.35',
  "nullsrc=s={s}:r={r},geq=lum='128+60*sin(X/37+T*1.3)+40*cos(Y/23-T*0.7)':cb='128+40*sin(X/50+T)':cr='128+40*cos(Y/40-T)',noise=alls=6:allf=t",
  'sierpinski=s={s}:r={r}:seed=4:jump=2',
  'yuvtestsrc=s={s}:r={r},scroll=h=0.003:v=0.006,gblur=sigma=1.5',
  'colorspectrum=s={s}:r={r}:type=all,scroll=h=0.005,noise=alls=10:allf=t',
  "nullsrc=s={s}:r={r},geq=lum='100+80*sin((X+Y)/60+T*2)':cb=110:cr=150,drawbox=x=mod(t*60\\,iw):y=ih/4:w=90:h=70:c=black@0.8:t=fill,eq=brightness=-0.2",
  'pal75bars=s={s}:r={r},rotate=a=t*0.15:c=black',
  'color=c=#202020:s={s}:r={r},drawbox=x=mod(t*70\\,iw-60):y=ih/3+40*sin(t*2):w=60:h=44:c=white:t=fill,drawbox=x=iw-mod(t*45\\,iw):y=ih/2:w=30:h=80:c=#a04040:t=fill',
  'color=c=#e0e0e0:s={s}:r={r},drawgrid=w=37:h=29:t=2:c=black,scroll=h=0.002:v=0.003',
  'life=s={s}:r={r}:seed=3:ratio=0.5:death_color=#000060:life_color=#ffff00,format=yuv420p,gblur=sigma=0.8',
  'mandelbrot=s={s}:r={r}:start_scale=0.5:end_scale=0.05,hue=h=t*20',
  // Hard cuts and jumping objects: abrupt change that is not corruption.
  "testsrc2=s={s}:r={r}[a];yuvtestsrc=s={s}:r={r},hue=h=t*40[b];[a][b]overlay=enable='lt(mod(t\\,1.6)\\,0.8)'",
  "color=c=#304050:s={s}:r={r},drawbox=x='if(lt(mod(t\\,1.2)\\,0.6)\\,20\\,iw/2)':y=ih/4:w=iw/3:h=ih/3:c=#e0d0a0:t=fill,noise=alls=4:allf=t",
  // Text over flat and smooth backgrounds (captions, tickers, counters): the codec changes only
  // the blocks the glyphs touch, so legitimate change is block-aligned here too.
  "color=c=#402010:s={s}:r={r},drawtext=text='LIVE %{n}':fontsize=28:fontcolor=yellow:x=20:y=h-40-mod(t*30\\,h-60)",
  "nullsrc=s={s}:r={r},geq=lum='40+X/W*60':cb=140:cr=120,drawtext=text='Breaking news %{pts}':fontsize=22:fontcolor=white:x=w-mod(t*120\\,w+300):y=h-36:box=1:boxcolor=black@0.6",
];

/** Clean content for the held-out set: sources the model never saw in training. */
export const TEST_SOURCES: readonly string[] = [
  'cellauto=s={s}:r={r}:seed=7:rule=110:scroll=1,format=yuv420p',
  'testsrc=s={s}:r={r}',
  'color=c=gray:s={s}:r={r},noise=alls=25:allf=t',
  "color=c=#103050:s={s}:r={r},drawtext=text='Framewatch %{n}':fontsize=40:fontcolor=white:x=mod(t*80\\,w):y=h/3",
  'rgbtestsrc=s={s}:r={r},scroll=h=0.01,eq=brightness=0.3',
];

/**
 * Clean content for the validation set: sources in neither of the other two sets, for comparing
 * variants (MODEL.md "Reproduce") without looking at the held-out set.
 */
export const VALIDATION_SOURCES: readonly string[] = [
  'colorchart=r={r}:patch_size=64x64,scale=s={s},scroll=h=0.004',
  "nullsrc=s={s}:r={r},geq=lum='128+100*sin(hypot(X-W/2\\,Y-H/2)/8-T*4)':cb=128:cr=128",
  "color=c=#e8e0d0:s={s}:r={r},drawtext=text='%{pts\\:hms}':fontsize=40:fontcolor=#202020:x=(w-tw)/2:y=(h-th)/2",
  "nullsrc=s={s}:r={r},geq=lum='if(mod(floor((X+T*40)/24)+floor(Y/24)\\,2)\\,200\\,50)':cb=128:cr=128",
  'color=c=#101010:s={s}:r={r},drawbox=x=mod(t*90\\,iw):y=0:w=40:h=ih:c=#c0c0c0:t=fill,gblur=sigma=4',
  // Grain over colour bars: detail in every block, as in the grey + noise held-out source, so that
  // a variant's effect on such content is seen before the held-out set (twelfth session).
  'smptebars=s={s}:r={r},noise=alls=16:allf=t',
];

/**
 * Clean content that is hard not to alarm on, for `eval:macroblocking -- stress` (false events
 * only: these clips are never corrupted or trained on, and variants are chosen on validation).
 * Burnt-in clocks, timecode and score bugs change a few blocks every frame; tickers, credits and
 * pans move sharp graphics across the macroblock grid. Each at every size of {@link STRESS_SIZES}.
 */
export const STRESS_SOURCES: Readonly<Record<string, string>> = {
  'white timecode on black': "color=c=black:s={s}:r={r},drawtext=text='%{pts\\:hms}':fontsize=24:fontcolor=white:x=20:y=h-40",
  'boxed frame counter': "color=c=#102040:s={s}:r={r},drawtext=text='FRAME %{n}':fontsize=32:fontcolor=yellow:x=30:y=30:box=1:boxcolor=black@0.7",
  'score bug over testsrc2': "testsrc2=s={s}:r={r},drawbox=x=10:y=10:w=220:h=40:c=black@0.8:t=fill,drawtext=text='HOME 2-1 AWAY %{pts\\:hms}':fontsize=18:fontcolor=white:x=16:y=20",
  'timecode over mandelbrot': "mandelbrot=s={s}:r={r},drawtext=text='%{pts\\:hms}':fontsize=36:fontcolor=white:x=(w-tw)/2:y=h-60:box=1:boxcolor=black@0.5",
  'big red clock on grey': "color=c=#808080:s={s}:r={r},drawtext=text='%{pts\\:hms}':fontsize=72:fontcolor=#c01010:x=(w-tw)/2:y=(h-th)/2",
  'ticker crawl over testsrc2':
    "testsrc2=s={s}:r={r},drawbox=x=0:y=ih-48:w=iw:h=48:c=#101040:t=fill,drawtext=text='MARKETS  FTSE +0.4%%  DAX -0.2%%  NIKKEI +1.1%%  BREAKING  Weather warning for the north':fontsize=28:fontcolor=white:x=w-mod(t*120\\,w+1400):y=h-40",
  'rolling credits':
    "color=c=black:s={s}:r={r},drawtext=text='Directed by A. Person':fontsize=30:fontcolor=white:x=(w-tw)/2:y=floor(h-t*60),drawtext=text='Produced by B. Person':fontsize=30:fontcolor=white:x=(w-tw)/2:y=floor(h+80-t*60),drawtext=text='Camera C. Person':fontsize=30:fontcolor=white:x=(w-tw)/2:y=floor(h+160-t*60)",
  'checkerboard pan 3 px a frame': "nullsrc=s={s}:r={r},geq=lum='if(mod(floor((X+T*75)/32)+floor(Y/32)\\,2)\\,220\\,30)':cb=128:cr=128",
  'diagonal grid pan': 'color=c=#e0e0e0:s={s}:r={r},drawgrid=w=40:h=40:t=3:c=black,scroll=h=0.004:v=0.004',
  'scrolling smptehdbars': 'smptehdbars=s={s}:r={r},scroll=h=0.003',
};

/**
 * The stress sources that move text across the picture, also made as validation-style clips (the
 * `text` split, `eval:macroblocking -- text`): at every training size, with GOPs drawn and
 * corrupted copies, so that their false events on clean clips and their recall are measured on as
 * many clips as the validation set has. Neither trained nor chosen on.
 */
export const TEXT_SOURCES: readonly string[] = [STRESS_SOURCES['rolling credits'], STRESS_SOURCES['ticker crawl over testsrc2']];

/** Frame sizes of the stress clips: the training sizes' largest and smallest, and 720p. */
export const STRESS_SIZES: readonly (readonly [number, number])[] = [
  [640, 360],
  [320, 240],
  [1280, 720],
];

/** Frame sizes the clips are encoded at. */
export const SIZES: readonly (readonly [number, number])[] = [
  [640, 360],
  [480, 272],
  [352, 288],
  [416, 240],
  [576, 320],
  [320, 240],
];

const GOPS = [12, 25, 50] as const;

const AMOUNTS = [300, 1000, 3000, 10000] as const;

/**
 * A 16×16 block counts as damaged when the mean absolute difference of its sixteen 4×4 cell means
 * from the clean decode's is above this (luma codes)…
 */
export const DAMAGED_CELL_MAD = 10;
/** …or when its texture (see {@link compareFrames}) changed by more than this many codes and by more than half. */
export const DAMAGED_TEXTURE_STEP = 4;
/** Share of damaged blocks from which a frame is labelled corrupted. */
export const CORRUPT_SHARE = 0.02;
/** Clean frames either side of a corrupted frame's own index that its label may be aligned to (see {@link labelAligned}). */
export const ALIGN_FRAMES = 3;
/**
 * `Math.abs`, read once: a global lookup of `Math` inside the pixel loops is ≈ 100× slower under
 * Jest's `vm` context than in Node, and the evaluation test labels thousands of frames.
 */
const { abs } = Math;

/** What the labels compare of one frame: per 16×16 block, its sixteen 4×4 cell means and its texture. */
export interface FrameSummary {
  /** Blocks per row and per column. */
  bw: number;
  bh: number;
  /** `bw × bh × 16` cell means, block-major. */
  cells: Float32Array;
  /** Per block: the smaller of its mean absolute step across and down (steps inside the block). */
  texture: Float32Array;
}

/** Summarises a luma plane for {@link compareFrames}. */
export function summariseFrame(p: Uint8Array, width: number, height: number): FrameSummary {
  const bw = Math.floor(width / 16);
  const bh = Math.floor(height / 16);
  const cells = new Float32Array(bw * bh * 16);
  const texture = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const b = by * bw + bx;
      let across = 0;
      let down = 0;
      for (let cy = 0; cy < 4; cy++) {
        for (let cx = 0; cx < 4; cx++) {
          let sum = 0;
          for (let y = cy * 4; y < cy * 4 + 4; y++) {
            const r = (by * 16 + y) * width + bx * 16;
            for (let x = cx * 4; x < cx * 4 + 4; x++) {
              const v = p[r + x] as number;
              sum += v;
              if (x > 0) across += abs(v - (p[r + x - 1] as number));
              if (y > 0) down += abs(v - (p[r + x - width] as number));
            }
          }
          cells[b * 16 + cy * 4 + cx] = sum / 16;
        }
      }
      texture[b] = Math.min(across, down) / 240;
    }
  }
  return { bw, bh, cells, texture };
}

/**
 * Labels one frame of a corrupted decode against a frame of the clean decode (both summarised by
 * {@link summariseFrame}): corrupted when at least {@link CORRUPT_SHARE} of its 16×16 blocks differ
 * visibly; ambiguous when some, but fewer, blocks do. A block differs visibly when its picture at
 * the scale of 4×4 cells differs ({@link DAMAGED_CELL_MAD}) or its texture does
 * ({@link DAMAGED_TEXTURE_STEP}; the smaller of the steps across and down, so streaks count as a
 * loss): a smear, a grey or wrongly coloured patch, displaced content. Pixel-exact differences that
 * keep both (grain replaced by other grain of the same strength, which a viewer cannot tell apart)
 * are not damage.
 */
export function compareFrames(clean: FrameSummary, bad: FrameSummary): { label: 0 | 1; ambiguous: boolean; share: number } {
  const blocks = clean.bw * clean.bh;
  let damaged = 0;
  for (let b = 0; b < blocks; b++) {
    let cells = 0;
    for (let k = b * 16; k < b * 16 + 16; k++) cells += abs((clean.cells[k] as number) - (bad.cells[k] as number));
    const ta = clean.texture[b] as number;
    const tb = bad.texture[b] as number;
    const texture = abs(ta - tb);
    if (cells / 16 > DAMAGED_CELL_MAD || (texture > DAMAGED_TEXTURE_STEP && texture > 0.5 * Math.max(ta, tb))) damaged++;
  }
  const share = damaged / blocks;
  return { label: share >= CORRUPT_SHARE ? 1 : 0, ambiguous: share > 0 && share < CORRUPT_SHARE, share };
}

/** {@link compareFrames} of two luma planes of the same size. */
export function labelFrame(clean: Uint8Array, bad: Uint8Array, width: number, height: number): { label: 0 | 1; ambiguous: boolean; share: number } {
  return compareFrames(summariseFrame(clean, width, height), summariseFrame(bad, width, height));
}

/**
 * Labels frame `index` of a corrupted decode against the clean frame it shows: the clean frame
 * within {@link ALIGN_FRAMES} of `index` that leaves the fewest damaged blocks (`clean(j)` is the
 * summary of clean frame `j`, or null outside the clip). After lost packets the decoder's
 * timestamps of later frames can be off by a frame or more, and a perfect picture compared with
 * the wrong clean frame of moving content looks damaged everywhere.
 */
export function labelAligned(clean: (j: number) => FrameSummary | null, index: number, bad: FrameSummary): { label: 0 | 1; ambiguous: boolean; share: number } {
  let best = compareFrames(clean(index) as FrameSummary, bad);
  for (let k = 1; k <= ALIGN_FRAMES && best.share > 0; k++) {
    for (const j of [index - k, index + k]) {
      const ref = clean(j);
      if (ref === null || best.share === 0) continue;
      const other = compareFrames(ref, bad);
      if (other.share < best.share) best = other;
    }
  }
  return best;
}

/** The clips of both splits, drawn reproducibly from `seed`. */
export function planClips(options: GenerateOptions): ClipSpec[] {
  const frames = options.frames ?? 150;
  const clips: ClipSpec[] = [];
  for (const [split, sources] of [
    ['train', TRAIN_SOURCES],
    ['validation', VALIDATION_SOURCES],
    ['test', TEST_SOURCES],
    ['text', TEXT_SOURCES],
  ] as const) {
    // A generator per split: the held-out clips do not change when training sources are added.
    const rng = createPrng(options.seed ^ hash(split));
    const per = split === 'train' ? (options.clipsPerSource ?? 3) : (options.heldOutClipsPerSource ?? options.clipsPerSource ?? 3);
    const chosen = sources.slice(0, options.sourcesPerSplit ?? sources.length);
    chosen.forEach((source, si) => {
      for (let c = 0; c < per; c++) {
        const [width, height] = SIZES[(c + si) % SIZES.length];
        clips.push({ id: `${split}-${si}-${c}`, split, source, width, height, gop: pick(rng, GOPS), frames });
      }
    });
  }
  // Stress clips draw nothing: GOP 50 (2 s), every source at every stress size.
  Object.values(STRESS_SOURCES).forEach((source, si) => {
    STRESS_SIZES.forEach(([width, height], c) => clips.push({ id: `stress-${si}-${c}`, split: 'stress', source, width, height, gop: 50, frames }));
  });
  // Filtered only now, so a clip's draws do not depend on which splits are generated.
  const extra: readonly Split[] = ['stress', 'text'];
  return clips.filter((c) => (options.splits === undefined ? !extra.includes(c.split) : options.splits.includes(c.split)));
}

/**
 * Generates the data set: encodes every planned clip with libx264, corrupts copies of the
 * bitstream with ffmpeg's `noise` bitstream filter inside a random window of packets (byte
 * damage, and on some variants dropped packets), decodes all of them to luma with blockdetect's
 * score alongside, and labels each corrupted frame against the clean decode. Reproducible for a
 * seed (libx264 and the decoder run single-threaded).
 */
export async function generateDataset(options: GenerateOptions): Promise<ClipData[]> {
  rmSync(options.workDir, { recursive: true, force: true });
  mkdirSync(options.workDir, { recursive: true });
  const clips = planClips(options);
  const variants = options.variants ?? 2;
  const jobs = clips.map((clip) => {
    const rng = createPrng(options.seed ^ hash(clip.id));
    const corruptions = Array.from({ length: variants }, (_, v) => {
      const start = 10 + Math.floor(rng() * Math.max(1, clip.frames - 60));
      const length = 3 + Math.floor(rng() * 30);
      const amount = pick(rng, AMOUNTS);
      const drop = v === 1 && rng() < 0.5;
      return { start, end: Math.min(clip.frames - 5, start + length), amount, drop };
    });
    return () => processClip(clip, corruptions, options.workDir);
  });
  const results: ClipData[][] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return results.flat();
}

interface Corruption {
  start: number;
  end: number;
  amount: number;
  drop: boolean;
}

async function processClip(clip: ClipSpec, corruptions: Corruption[], dir: string): Promise<ClipData[]> {
  const base = path.join(dir, clip.id);
  const size = `${clip.width}x${clip.height}`;
  const graph = clip.source.replaceAll('{s}', size).replaceAll('{r}', '25');
  await ffmpeg([...FFMPEG_SAME_ON_EVERY_CPU, '-f', 'lavfi', '-i', graph, '-frames:v', String(clip.frames), '-c:v', 'libx264', '-preset', 'veryfast', '-threads', '1', ...X264_SAME_ON_EVERY_CPU, '-g', String(clip.gop), '-keyint_min', String(clip.gop), '-pix_fmt', 'yuv420p', `${base}.mkv`]);
  const clean = await decode(`${base}.mkv`, `${base}.bd.txt`, clip);
  const out: ClipData[] = [];
  const frameBytes = clip.width * clip.height;
  const count = clean.luma.length / frameBytes;
  out.push(toClipData(clip, `${clip.id}-clean`, false, clean, null, count, await converterReports(`${base}.mkv`, clip.frames)));
  // Summarised once for every corrupted variant of the clip, each frame when first compared.
  const summaries: (FrameSummary | undefined)[] = [];
  const cleanSummary = (j: number): FrameSummary | null =>
    j < 0 || j >= count ? null : (summaries[j] ??= summariseFrame(new Uint8Array(clean.luma.buffer, clean.luma.byteOffset + j * frameBytes, frameBytes), clip.width, clip.height));
  for (const [v, c] of corruptions.entries()) {
    const bad = `${base}-v${v}.mkv`;
    const inWindow = `between(n\\,${c.start}\\,${c.end})`;
    const bsf = c.drop ? `noise=amount=if(${inWindow}\\,${c.amount}\\,0):drop=${inWindow}*not(mod(n\\,5))` : `noise=amount=if(${inWindow}\\,${c.amount}\\,0)`;
    await ffmpeg(['-i', `${base}.mkv`, '-c', 'copy', '-bsf:v', bsf, bad]);
    const decoded = await decode(bad, `${base}-v${v}.bd.txt`, clip);
    const reports = await converterReports(bad, clip.frames);
    out.push(toClipData(clip, `${clip.id}-v${v}`, true, decoded, cleanSummary, Math.min(count, decoded.luma.length / frameBytes), reports));
  }
  return out;
}

/** `clean` gives the clean decode's frame summaries for labelling, or is null for the clean decode itself. */
function toClipData(
  clip: ClipSpec,
  id: string,
  corrupted: boolean,
  decoded: { luma: Buffer; blocks: number[]; held: Uint8Array },
  clean: ((j: number) => FrameSummary | null) | null,
  count: number,
  reports: Uint8Array,
): ClipData {
  const n = clip.width * clip.height;
  const features = new Float32Array(count * MACROBLOCK_FEATURE_COUNT);
  const labels = new Uint8Array(count);
  const ambiguous = new Uint8Array(count);
  const blockdetect = new Float32Array(count);
  const damage = new Float32Array(count);
  const unexplained = new Uint8Array(count);
  // One tracker per decode, fed in order: exactly what the detector does for one stream.
  const tracker = new MacroblockFeatureTracker();
  for (let i = 0; i < count; i++) {
    const plane = new Uint8Array(decoded.luma.buffer, decoded.luma.byteOffset + i * n, n);
    tracker.next(plane, clip.width, clip.height, features.subarray(i * MACROBLOCK_FEATURE_COUNT, (i + 1) * MACROBLOCK_FEATURE_COUNT));
    unexplained[i] = tracker.changeUnexplained ? 1 : 0;
    if (clean !== null) {
      const l = labelAligned((j) => (j < count ? clean(j) : null), i, summariseFrame(plane, clip.width, clip.height));
      labels[i] = l.label;
      damage[i] = l.share;
      // A frame the decoder lost (held from the previous one) is a freeze, not macroblocking.
      ambiguous[i] = l.ambiguous || decoded.held[i] ? 1 : 0;
    }
    blockdetect[i] = decoded.blocks[i] ?? 0;
  }
  return { id, source: clip.source, split: clip.split, corrupted, features, labels, ambiguous, blockdetect, damage, unexplained, decodeErrors: reports.slice(0, count), gop: clip.gop };
}

/**
 * Decodes `file` to luma with blockdetect's score and puts each decoded frame at the index its
 * timestamp says (25 fps), so a frame the corrupted decode lost does not shift every later frame
 * against the clean decode: a missing index holds the previous frame, as a display would.
 * Decoded single-threaded: frame-threaded error concealment of a damaged stream differs from
 * run to run.
 */
async function decode(file: string, metadataFile: string, clip: ClipSpec): Promise<{ luma: Buffer; blocks: number[]; held: Uint8Array }> {
  const raw = await ffmpeg([...FFMPEG_SAME_ON_EVERY_CPU, '-threads', '1', '-i', file, '-fps_mode', 'passthrough', '-vf', `blockdetect,metadata=print:file=${metadataFile},extractplanes=y`, '-f', 'rawvideo', '-']);
  const n = clip.width * clip.height;
  const decoded = Math.floor(raw.length / n);
  const times: number[] = [];
  const scores: number[] = [];
  for (const line of readFileSync(metadataFile, 'utf8').split('\n')) {
    const t = /pts_time:([-\d.]+)/.exec(line);
    if (t) times.push(Number(t[1]));
    else if (line.startsWith('lavfi.block=')) scores.push(Number(line.slice('lavfi.block='.length)));
  }
  const luma = Buffer.alloc(clip.frames * n);
  const blocks = new Array<number>(clip.frames).fill(Number.NaN);
  const filled = new Uint8Array(clip.frames);
  for (let i = 0; i < decoded; i++) {
    const index = Math.round((times[i] ?? i / 25) * 25);
    if (index < 0 || index >= clip.frames) continue;
    raw.copy(luma, index * n, i * n, (i + 1) * n);
    blocks[index] = scores[i] ?? 0;
    filled[index] = 1;
  }
  for (let i = 0; i < clip.frames; i++) {
    if (filled[i]) continue;
    if (i > 0) luma.copy(luma, i * n, (i - 1) * n, i * n);
    blocks[i] = i > 0 ? blocks[i - 1] : 0;
  }
  return { luma, blocks, held: filled.map((v) => 1 - v) };
}

/** Framewatch's media converter, for the decoder's reports as the detector receives them. */
const converter = createMediaConverter({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', allowLocalFiles: true });

/**
 * The decoder's error reports per frame of `file` (its first `frames` frames), read the way the
 * detector gets them: decoded by Framewatch's media converter, at the macroblocking detector's
 * own needs (`VideoFrame.decodeErrors`). The converter's decode is not {@link decode}'s (another
 * size, no deblocking, a constant frame rate), so only its own log says which frame the detector
 * gets a report on.
 */
async function converterReports(file: string, frames: number): Promise<Uint8Array> {
  const reports = new Uint8Array(frames);
  const spec = { video: { ...MACROBLOCK_NEEDS }, audio: null, framesPerBatch: 25 };
  for await (const batch of converter.decode({ url: file }, spec, { streamId: path.basename(file) })) {
    for (const frame of batch.video) if (frame.index < frames && frame.decodeErrors) reports[frame.index] = Math.min(255, frame.decodeErrors);
  }
  return reports;
}

function ffmpeg(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'fatal', '-nostdin', '-y', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** FNV-1a of a string: a per-clip seed that does not depend on which clips are generated. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function pick<T>(rng: Prng, values: readonly T[]): T {
  return values[Math.floor(rng() * values.length)];
}
