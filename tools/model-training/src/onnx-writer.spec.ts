/**
 * @jest-environment ../../libs/detectors/jest.onnx-environment.cjs
 */
// The environment above gives the sandbox the host's typed arrays; without it onnxruntime-node
// fails under Jest with "A float32 tensor's data must be type of function Float32Array()".
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { createPrng } from '@framewatch/seeded-random';
import { MLP_ONNX_OPSET, writeMlpOnnx } from './onnx-writer';
import type { MlpLayer } from './onnx-writer';

/** Deterministic values in [-1, 1). */
function seeded(seed: number): () => number {
  const next = createPrng(seed);
  return () => 2 * next() - 1;
}

function randomLayer(next: () => number, inSize: number, outSize: number, activation: MlpLayer['activation']): MlpLayer {
  return {
    weights: Float32Array.from({ length: outSize * inSize }, next),
    bias: Float32Array.from({ length: outSize }, next),
    activation,
  };
}

/** Plain-TS forward pass, in float64, of `rows` rows of `inputSize` values. */
function forward(layers: readonly MlpLayer[], input: Float32Array, rows: number, inputSize: number): Float64Array {
  let x = Float64Array.from(input);
  let inSize = inputSize;
  for (const layer of layers) {
    const outSize = layer.bias.length;
    const y = new Float64Array(rows * outSize);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outSize; o++) {
        let sum = layer.bias[o] as number;
        for (let i = 0; i < inSize; i++) sum += (layer.weights[o * inSize + i] as number) * (x[r * inSize + i] as number);
        y[r * outSize + o] = layer.activation === 'relu' ? Math.max(0, sum) : layer.activation === 'sigmoid' ? 1 / (1 + Math.exp(-sum)) : sum;
      }
    }
    x = y;
    inSize = outSize;
  }
  return x;
}

async function run(bytes: Uint8Array, input: Float32Array, rows: number, inputSize: number, names = { input: 'features', output: 'score' }): Promise<Tensor> {
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  try {
    const out = await session.run({ [names.input]: new Tensor('float32', input, [rows, inputSize]) });
    return out[names.output] as Tensor;
  } finally {
    await session.release();
  }
}

describe('writeMlpOnnx', () => {
  it('writes a model that onnxruntime-node loads and that matches a plain forward pass', async () => {
    const next = seeded(7);
    const inputSize = 6;
    const layers = [randomLayer(next, inputSize, 8, 'relu'), randomLayer(next, 8, 5, 'relu'), randomLayer(next, 5, 1, 'sigmoid')];
    const bytes = writeMlpOnnx({ layers, inputSize });
    for (const rows of [1, 25]) {
      const input = Float32Array.from({ length: rows * inputSize }, () => next() * 3);
      const out = await run(bytes, input, rows, inputSize);
      expect(out.dims).toEqual([rows, 1]);
      const expected = forward(layers, input, rows, inputSize);
      const data = out.data as Float32Array;
      for (let i = 0; i < rows; i++) expect(data[i]).toBeCloseTo(expected[i] as number, 5);
    }
  });

  it('supports a linear last layer, several outputs and custom names', async () => {
    const next = seeded(11);
    const layers = [randomLayer(next, 3, 4, 'sigmoid'), randomLayer(next, 4, 2, 'none')];
    const bytes = writeMlpOnnx({ layers, inputSize: 3, inputName: 'x', outputName: 'y' });
    const input = Float32Array.from({ length: 4 * 3 }, next);
    const out = await run(bytes, input, 4, 3, { input: 'x', output: 'y' });
    expect(out.dims).toEqual([4, 2]);
    const expected = forward(layers, input, 4, 3);
    Array.from(out.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 5));
  });

  it('declares opset 13, a symbolic batch dimension and Gemm with transB', () => {
    const next = seeded(3);
    const bytes = writeMlpOnnx({ layers: [randomLayer(next, 2, 3, 'relu'), randomLayer(next, 3, 1, 'sigmoid')], inputSize: 2 });
    const model = onnx.ModelProto.decode(bytes);
    expect(Number(model.opsetImport[0]?.version)).toBe(MLP_ONNX_OPSET);
    const graph = model.graph as onnx.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Sigmoid']);
    const transB = graph.node[0]?.attribute?.[0];
    expect(transB?.name).toBe('transB');
    expect(Number(transB?.i)).toBe(1);
    const dims = graph.input[0]?.type?.tensorType?.shape?.dim ?? [];
    expect(dims[0]?.dimParam).toBe('N');
    expect(Number(dims[1]?.dimValue)).toBe(2);
    expect(graph.output[0]?.name).toBe('score');
  });

  it('rejects inconsistent layers with a usage error', () => {
    const layer = { weights: new Float32Array(6), bias: new Float32Array(2), activation: 'relu' } as const;
    expect(() => writeMlpOnnx({ layers: [], inputSize: 3 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => writeMlpOnnx({ layers: [layer], inputSize: 0 })).toThrow(/inputSize/);
    expect(() => writeMlpOnnx({ layers: [layer], inputSize: 4 })).toThrow(/layer 0 weights hold 6 values, expected 2×4/);
    expect(() => writeMlpOnnx({ layers: [{ ...layer, bias: Float32Array.of(0, Number.NaN) }], inputSize: 3 })).toThrow(/bias\[1\] is not finite/);
    expect(() => writeMlpOnnx({ layers: [layer], inputSize: 3, inputName: 'a', outputName: 'a' })).toThrow(/different/);
  });
});
