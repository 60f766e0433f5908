/**
 * `npm run bench:macroblocking [frames]`: what the learned macroblocking detector costs per
 * 1280×720 frame on one core (issue 5 target: ≤ 1 ms for inputs plus inference). Decodes the
 * first frames of two clips to full-size luma once: the bench-720p fixture (`testsrc2`, moving
 * objects on a still picture) and a busy pan (`cellauto` scrolling a row per frame, encoded with
 * libx264), where the evidence gate's motion test has to compare every changed block with the
 * shifted previous frame. Then times, in 5 passes per clip (median shown): the feature tracker on
 * every frame in order, and the committed ONNX model (onnxruntime-node, one thread) on batches of
 * 25 frames' features with the evidence gate after it, then the decoder-report gate, as the
 * detector runs them. Every 10th frame carries a decoder report, so that the report gate checks
 * the picture of every frame (its most costly case; a clean stream has none).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DecoderReportGate, MACROBLOCK_FEATURE_COUNT, MacroblockEvidenceGate, MacroblockFeatureTracker } from '@framewatch/detectors';
import type { MacroblockModel } from '@framewatch/detectors';
import { defaultMacroblockModelPath, loadMacroblockModel } from '@framewatch/detectors/onnx';
import { generateFixture } from '@framewatch/fixtures';
import { median } from './cpu';

const TARGET_MS = 1;
const BATCH = 25;
/** Decoder reports of a batch's frames: one every 10th frame. */
const REPORTS = Array.from({ length: BATCH }, (_, i) => (i % 10 === 0 ? 1 : 0));
const [W, H] = [1280, 720];

async function main(): Promise<void> {
  const frames = Number(process.argv[2] ?? 250);
  if (!Number.isInteger(frames) || frames < BATCH) throw new Error(`frames must be an integer ≥ ${BATCH}, not "${process.argv[2]}"`);
  const dir = path.join(process.cwd(), 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const clip = await generateFixture('bench-720p', path.join(dir, 'fixtures'));
  const pan = path.join(dir, 'pan-720p.mkv');
  ffmpeg(['-f', 'lavfi', '-i', `cellauto=s=${W}x${H}:r=25:seed=7:rule=110:scroll=1,format=yuv420p`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-y', pan], 0);
  const model = await loadMacroblockModel({ modelPath: defaultMacroblockModelPath(), threads: 1, featureCount: MACROBLOCK_FEATURE_COUNT });
  console.log(`macroblocking detector, ${frames} frames of 1280×720 luma per clip, median of 5 passes (one core):`);
  let met = true;
  for (const [name, file] of [['bench-720p (testsrc2)', clip.mediaPath], ['busy pan (cellauto)', pan]] as const) {
    const { featureMs, inferenceMs, unexplained, n } = await time(lumaPlanes(file, frames), model);
    const total = featureMs + inferenceMs;
    met &&= total <= TARGET_MS;
    console.log(`  ${name}: features ${featureMs.toFixed(3)} ms/frame, inference ${(inferenceMs * 1000).toFixed(1)} µs/frame, total ${total.toFixed(3)} ms/frame; ${unexplained} of ${n} frames with unexplained change`);
  }
  console.log(`  (inference: batches of ${BATCH}, onnxruntime-node, 1 thread, evidence gate, report gate with a report every 10th frame; target ≤ ${TARGET_MS} ms: ${met ? 'met' : 'MISSED'})`);
}

/** The first `frames` luma planes of `file`, decoded once. */
function lumaPlanes(file: string, frames: number): Uint8Array[] {
  const luma = ffmpeg(['-i', file, '-frames:v', String(frames), '-vf', 'extractplanes=y', '-f', 'rawvideo', '-'], frames * W * H + 1);
  const n = Math.floor(luma.length / (W * H));
  return Array.from({ length: n }, (_, i) => new Uint8Array(luma.buffer, luma.byteOffset + i * W * H, W * H));
}

/** Median per-frame cost of the tracker and of model plus gate over 5 passes. */
async function time(planes: Uint8Array[], model: MacroblockModel): Promise<{ featureMs: number; inferenceMs: number; unexplained: number; n: number }> {
  const n = planes.length;
  const features = new Float32Array(n * MACROBLOCK_FEATURE_COUNT);
  const unexplained = new Uint8Array(n);
  const featureMs: number[] = [];
  const inferenceMs: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const tracker = new MacroblockFeatureTracker();
    let t = process.hrtime.bigint();
    planes.forEach((p, i) => {
      tracker.next(p, W, H, features.subarray(i * MACROBLOCK_FEATURE_COUNT, (i + 1) * MACROBLOCK_FEATURE_COUNT));
      unexplained[i] = tracker.changeUnexplained ? 1 : 0;
    });
    featureMs.push(Number(process.hrtime.bigint() - t) / 1e6 / n);
    t = process.hrtime.bigint();
    const gate = new MacroblockEvidenceGate();
    const reportGate = new DecoderReportGate();
    for (let i = 0; i + BATCH <= n; i += BATCH) {
      const batch = features.slice(i * MACROBLOCK_FEATURE_COUNT, (i + BATCH) * MACROBLOCK_FEATURE_COUNT);
      const scores = gate.apply(batch, await model.score(batch, BATCH), BATCH, unexplained.subarray(i, i + BATCH));
      reportGate.apply(batch, scores, BATCH, REPORTS);
    }
    inferenceMs.push(Number(process.hrtime.bigint() - t) / 1e6 / (n - (n % BATCH)));
  }
  return { featureMs: median(featureMs), inferenceMs: median(inferenceMs), unexplained: unexplained.reduce((a, v) => a + v, 0), n };
}

/** Runs ffmpeg and returns its stdout (up to `maxBuffer` bytes). */
function ffmpeg(args: string[], maxBuffer: number): Buffer {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { maxBuffer: Math.max(maxBuffer, 1 << 20) });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
  return result.stdout;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
