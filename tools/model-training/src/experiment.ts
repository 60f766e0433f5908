import { MACROBLOCK_FEATURE_COUNT } from '@framewatch/detectors';
import { generateDataset } from './data';
import type { ClipData, GenerateOptions } from './data';
import { evaluate, stack } from './evaluate';
import type { Evaluation } from './evaluate';
import { writeMlpOnnx } from './onnx-writer';
import { mlpLayers, predict, trainMlp } from './train';
import type { Mlp, TrainOptions } from './train';

/** Result of {@link runExperiment}. */
export interface ExperimentResult {
  mlp: Mlp;
  onnx: Uint8Array;
  evaluation: Evaluation;
  sizes: { trainClips: number; trainFrames: number; trainCorrupt: number; testClips: number; testFrames: number };
  seconds: { generate: number; train: number };
}

/**
 * Generates both splits, trains the network on the training clips, evaluates it (in
 * TypeScript, same arithmetic as the ONNX graph) on the held-out clips and serialises it as ONNX.
 */
export async function runExperiment(data: GenerateOptions, training: TrainOptions): Promise<ExperimentResult> {
  const t0 = Date.now();
  const clips = await generateDataset(data);
  const t1 = Date.now();
  const train = clips.filter((c) => c.split === 'train');
  const test = clips.filter((c) => c.split === 'test');
  const { x, y, rows } = stack(train);
  const mlp = trainMlp(x, y, rows, MACROBLOCK_FEATURE_COUNT, training);
  const t2 = Date.now();
  const evaluation = evaluate(test, (c) => scoreClip(mlp, c));
  return {
    mlp,
    onnx: writeMlpOnnx({ layers: mlpLayers(mlp), inputSize: MACROBLOCK_FEATURE_COUNT }),
    evaluation,
    sizes: {
      trainClips: train.length,
      trainFrames: rows,
      trainCorrupt: y.reduce((a, v) => a + v, 0),
      testClips: test.length,
      testFrames: test.reduce((a, c) => a + c.labels.length, 0),
    },
    seconds: { generate: (t1 - t0) / 1000, train: (t2 - t1) / 1000 },
  };
}

/** The network's per-frame scores of one clip. */
export function scoreClip(mlp: Mlp, clip: ClipData): Float32Array {
  return predict(mlp, clip.features, clip.labels.length);
}
