// Regenerates the tiny ONNX models next to this file with the model-training ONNX writer.
// libs/ must not depend on tools/, so the writer is bundled first and its path passed in; from
// the repo root:
//   npx esbuild tools/model-training/src/onnx-writer.ts --bundle --platform=node --format=cjs \
//     --log-level=warning --outfile=tmp/onnx-writer.cjs
//   node libs/detectors/src/__fixtures__/generate-models.cjs tmp/onnx-writer.cjs
const { writeFileSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const writerPath = process.argv[2];
if (!writerPath) throw new Error('usage: node generate-models.cjs <bundled onnx-writer.cjs>');
const { writeMlpOnnx } = require(resolve(writerPath));

const dir = join('libs', 'detectors', 'src', '__fixtures__');
const spec = JSON.parse(readFileSync(join(dir, 'tiny-macroblock.json'), 'utf8'));
const layers = spec.layers.map((l) => ({ weights: Float32Array.from(l.weights), bias: Float32Array.from(l.bias), activation: l.activation }));

const models = {
  'tiny-macroblock.onnx': writeMlpOnnx({ layers, inputSize: spec.inputSize }),
  'wrong-input-name.onnx': writeMlpOnnx({ layers, inputSize: spec.inputSize, inputName: 'pixels' }),
  'wrong-output-width.onnx': writeMlpOnnx({
    layers: [layers[0], { weights: new Float32Array(6), bias: new Float32Array(2), activation: 'sigmoid' }],
    inputSize: spec.inputSize,
  }),
};
for (const [name, bytes] of Object.entries(models)) {
  writeFileSync(join(dir, name), bytes);
  console.log(`${join(dir, name)}: ${bytes.length} bytes`);
}
