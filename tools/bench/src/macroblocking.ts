/**
 * `npm run bench:macroblocking [frames]`: what the learned macroblocking detector costs per
 * 1280×720 frame on one core (issue 5 target: ≤ 1 ms for inputs plus inference). Decodes the
 * first frames of the bench-720p fixture to full-size luma once, then times, in 5 passes
 * (median shown): the feature tracker on every frame in order, and the committed ONNX model
 * (onnxruntime-node, one thread) on batches of 25 frames' features with the evidence gate after
 * it, as the detector runs them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MACROBLOCK_FEATURE_COUNT, MacroblockEvidenceGate, MacroblockFeatureTracker } from '@framewatch/detectors';
import { defaultMacroblockModelPath, loadMacroblockModel } from '@framewatch/detectors/onnx';
import { generateFixture } from '@framewatch/fixtures';
import { median } from './cpu';

const TARGET_MS = 1;
const BATCH = 25;

async function main(): Promise<void> {
  const frames = Number(process.argv[2] ?? 250);
  if (!Number.isInteger(frames) || frames < BATCH) throw new Error(`frames must be an integer ≥ ${BATCH}, not "${process.argv[2]}"`);
  const dir = path.join(process.cwd(), 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const clip = await generateFixture('bench-720p', path.join(dir, 'fixtures'));
  const [w, h] = [1280, 720];
  const decoded = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', clip.mediaPath, '-frames:v', String(frames), '-vf', 'extractplanes=y', '-f', 'rawvideo', '-'], { maxBuffer: frames * w * h + 1 });
  if (decoded.status !== 0) throw new Error(`ffmpeg failed: ${decoded.stderr.toString()}`);
  const luma = decoded.stdout;
  const n = Math.floor(luma.length / (w * h));
  const planes = Array.from({ length: n }, (_, i) => new Uint8Array(luma.buffer, luma.byteOffset + i * w * h, w * h));
  const features = new Float32Array(n * MACROBLOCK_FEATURE_COUNT);
  const model = await loadMacroblockModel({ modelPath: defaultMacroblockModelPath(), threads: 1, featureCount: MACROBLOCK_FEATURE_COUNT });

  const featureMs: number[] = [];
  const inferenceMs: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const tracker = new MacroblockFeatureTracker();
    let t = process.hrtime.bigint();
    planes.forEach((p, i) => tracker.next(p, w, h, features.subarray(i * MACROBLOCK_FEATURE_COUNT, (i + 1) * MACROBLOCK_FEATURE_COUNT)));
    featureMs.push(Number(process.hrtime.bigint() - t) / 1e6 / n);
    t = process.hrtime.bigint();
    const gate = new MacroblockEvidenceGate();
    for (let i = 0; i + BATCH <= n; i += BATCH) {
      const batch = features.slice(i * MACROBLOCK_FEATURE_COUNT, (i + BATCH) * MACROBLOCK_FEATURE_COUNT);
      gate.apply(batch, await model.score(batch, BATCH), BATCH);
    }
    inferenceMs.push(Number(process.hrtime.bigint() - t) / 1e6 / (n - (n % BATCH)));
  }
  const f = median(featureMs);
  const m = median(inferenceMs);
  const total = f + m;
  console.log(`macroblocking detector, ${n} frames of 1280×720 luma, median of 5 passes (one core):`);
  console.log(`  features   ${f.toFixed(3)} ms/frame`);
  console.log(`  inference  ${(m * 1000).toFixed(1)} µs/frame (batches of ${BATCH}, onnxruntime-node, 1 thread, evidence gate)`);
  console.log(`  total      ${total.toFixed(3)} ms/frame  (target ≤ ${TARGET_MS} ms: ${total <= TARGET_MS ? 'met' : 'MISSED'})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
