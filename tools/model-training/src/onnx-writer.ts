import { UsageError } from '@framewatch/errors';
import { onnx } from 'onnx-proto';

/** Activation applied after a layer's affine transform. */
export type MlpActivation = 'relu' | 'sigmoid' | 'none';

/** One fully connected layer: `y = activation(x · Wᵀ + b)`. */
export interface MlpLayer {
  /** Weights, `out × in` row-major (row `o` holds the weights of output `o`). */
  weights: Float32Array;
  /** Bias, one per output; its length is the layer's output size. */
  bias: Float32Array;
  /** Activation after the affine transform. */
  activation: MlpActivation;
}

/** Options of {@link writeMlpOnnx}. */
export interface MlpOnnxOptions {
  /** The layers, input side first; each layer's input size is the previous layer's output size. */
  layers: readonly MlpLayer[];
  /** Number of input features per row. */
  inputSize: number;
  /** Name of the graph input, shape `[N, inputSize]`. Default `features`. */
  inputName?: string;
  /** Name of the graph output, shape `[N, outputSize]`. Default `score`. */
  outputName?: string;
}

/** The ONNX opset the writer targets (Gemm, Relu and Sigmoid at version 13). */
export const MLP_ONNX_OPSET = 13;

/** IR version matching opset 13 (ONNX 1.8). */
const IR_VERSION = 7;

/**
 * Serialises a multilayer perceptron as an ONNX model (opset 13): per layer one `Gemm`
 * (`transB = 1`, so weights stay `out × in` as given) followed by `Relu` or `Sigmoid` unless the
 * activation is `none`. The batch dimension is symbolic (`N`), so one run can score any number of
 * rows. All values are float32.
 *
 * @throws UsageError (code `USAGE`) when there are no layers, the input size is not a positive
 * integer, a layer's weights do not hold `out × in` values, a value is not finite, or a name is
 * empty or input and output share a name.
 *
 * @example
 * // w1: 8×4, b1: 8, w2: 1×8, b2: 1
 * const bytes = writeMlpOnnx({
 *   inputSize: 4,
 *   layers: [
 *     { weights: w1, bias: b1, activation: 'relu' },
 *     { weights: w2, bias: b2, activation: 'sigmoid' },
 *   ],
 * });
 * await writeFile('model.onnx', bytes);
 */
export function writeMlpOnnx(options: MlpOnnxOptions): Uint8Array {
  const { layers, inputSize } = options;
  const inputName = options.inputName ?? 'features';
  const outputName = options.outputName ?? 'score';
  if (!Array.isArray(layers) || layers.length === 0) throw new UsageError('writeMlpOnnx: at least one layer is required');
  if (!Number.isInteger(inputSize) || inputSize <= 0) throw new UsageError(`writeMlpOnnx: inputSize must be a positive integer, got ${inputSize}`);
  if (inputName === '' || outputName === '' || inputName === outputName) {
    throw new UsageError(`writeMlpOnnx: input and output names must be non-empty and different, got "${inputName}" and "${outputName}"`);
  }

  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  let current = inputName;
  let inSize = inputSize;
  layers.forEach((layer, i) => {
    const outSize = layer.bias.length;
    if (outSize === 0) throw new UsageError(`writeMlpOnnx: layer ${i} has an empty bias`);
    if (layer.weights.length !== outSize * inSize) {
      throw new UsageError(`writeMlpOnnx: layer ${i} weights hold ${layer.weights.length} values, expected ${outSize}×${inSize} = ${outSize * inSize}`);
    }
    checkFinite(layer.weights, `layer ${i} weights`);
    checkFinite(layer.bias, `layer ${i} bias`);
    if (!['relu', 'sigmoid', 'none'].includes(layer.activation)) {
      throw new UsageError(`writeMlpOnnx: layer ${i} has unknown activation "${String(layer.activation)}"`);
    }
    const last = i === layers.length - 1;
    const weightName = `layer${i}.weight`;
    const biasName = `layer${i}.bias`;
    initializer.push(floatTensor(weightName, [outSize, inSize], layer.weights), floatTensor(biasName, [outSize], layer.bias));
    const gemmOut = last && layer.activation === 'none' ? outputName : `layer${i}.gemm`;
    nodes.push({
      name: `layer${i}.Gemm`,
      opType: 'Gemm',
      input: [current, weightName, biasName],
      output: [gemmOut],
      attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
    current = gemmOut;
    if (layer.activation !== 'none') {
      const actOut = last ? outputName : `layer${i}.${layer.activation}`;
      nodes.push({ name: `layer${i}.${layer.activation === 'relu' ? 'Relu' : 'Sigmoid'}`, opType: layer.activation === 'relu' ? 'Relu' : 'Sigmoid', input: [current], output: [actOut] });
      current = actOut;
    }
    inSize = outSize;
  });

  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'framewatch-model-training',
    opsetImport: [{ domain: '', version: MLP_ONNX_OPSET }],
    graph: {
      name: 'mlp',
      node: nodes,
      initializer,
      input: [valueInfo(inputName, inputSize)],
      output: [valueInfo(outputName, inSize)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function checkFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new UsageError(`writeMlpOnnx: ${what}[${i}] is not finite (${values[i]})`);
  }
}

/** A float32 initializer, stored little-endian in `rawData`. */
function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** A float32 `[N, width]` graph input or output with a symbolic batch dimension. */
function valueInfo(name: string, width: number): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] },
      },
    },
  };
}
