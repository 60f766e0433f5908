import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadMacroblockModel } from './macroblocking';
import tiny from './__fixtures__/tiny-macroblock.json';

const fixtures = join(__dirname, '__fixtures__');
const tinyPath = join(fixtures, 'tiny-macroblock.onnx');

/** The tiny model's forward pass in plain TS, from the weights the .onnx was generated from. */
function expectedScores(features: Float32Array, n: number): number[] {
  const scores: number[] = [];
  for (let r = 0; r < n; r++) {
    let x = Array.from(features.subarray(r * tiny.inputSize, (r + 1) * tiny.inputSize));
    for (const layer of tiny.layers) {
      const out = layer.bias.map((b, o) => b + x.reduce((sum, v, i) => sum + (layer.weights[o * x.length + i] as number) * v, 0));
      x = out.map((v) => (layer.activation === 'relu' ? Math.max(0, v) : 1 / (1 + Math.exp(-v))));
    }
    scores.push(x[0] as number);
  }
  return scores;
}

function features(n: number): Float32Array {
  return Float32Array.from({ length: n * tiny.inputSize }, (_, i) => Math.sin(i * 1.7) * 2);
}

describe('Jest ONNX environment', () => {
  it('lets a Float32Array tensor round-trip through onnxruntime-node', async () => {
    const session = await InferenceSession.create(tinyPath, { intraOpNumThreads: 1 });
    const out = await session.run({ features: new Tensor('float32', features(2), [2, 4]) });
    expect(out['score']?.data).toBeInstanceOf(Float32Array);
    await session.release();
  });
});

describe('loadMacroblockModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'framewatch-macroblock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the model and scores a batch like the plain forward pass', async () => {
    const model = await loadMacroblockModel({ modelPath: tinyPath });
    expect(model.featureCount).toBe(4);
    expect(model.threads).toBe(1);
    for (const n of [1, 25]) {
      const input = features(n);
      const scores = await model.score(input, n);
      expect(scores).toBeInstanceOf(Float32Array);
      expect(scores).toHaveLength(n);
      expectedScores(input, n).forEach((s, i) => expect(scores[i]).toBeCloseTo(s, 5));
    }
    expect(await model.score(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('scores a view into a larger buffer without reading past it', async () => {
    const model = await loadMacroblockModel({ modelPath: tinyPath });
    const all = features(5);
    const view = all.subarray(4, 12); // frames 1 and 2
    const scores = await model.score(view, 2);
    expectedScores(view, 2).forEach((s, i) => expect(scores[i]).toBeCloseTo(s, 5));
  });

  it('reuses one session per model file', async () => {
    const a = await loadMacroblockModel({ modelPath: tinyPath });
    const [b, c] = await Promise.all([loadMacroblockModel({ modelPath: tinyPath, threads: 1 }), loadMacroblockModel({ modelPath: tinyPath, featureCount: 4 })]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    await expect(loadMacroblockModel({ modelPath: tinyPath, threads: 2 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/already loaded with 1 thread/),
    });
  });

  it('rejects a frame count that does not match the features', async () => {
    const model = await loadMacroblockModel({ modelPath: tinyPath });
    await expect(model.score(features(3), 2)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/expected 2×4 = 8 features, got 12/) });
    await expect(model.score(features(1), 1.5)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it.each([
    ['missing', async () => join(dir, 'nope.onnx'), /does not exist/],
    ['empty', async () => write('empty.onnx', new Uint8Array(0)), /is empty/],
    ['corrupt', async () => write('corrupt.onnx', Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)), /is not a valid ONNX model/],
    ['a directory', async () => dir, /is not a regular file/],
    ['wrongly named input', async () => join(fixtures, 'wrong-input-name.onnx'), /wrong signature: expected one input "features", found "pixels"/],
    ['wrongly shaped output', async () => join(fixtures, 'wrong-output-width.onnx'), /wrong signature: output must be float32 \[N, 1\], found score: float32 \[N, 2\]/],
  ])('rejects a model file that is %s with CONFIG_INVALID naming the path', async (_what, makePath, problem) => {
    const modelPath = await makePath();
    const error = await loadMacroblockModel({ modelPath }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect((error as Error).message).toContain(modelPath);
    expect((error as Error).message).toMatch(problem);
  });

  it('rejects an unreadable file', async () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const path = await write('unreadable.onnx', new Uint8Array([1]));
    await chmod(path, 0o000);
    await expect(loadMacroblockModel({ modelPath: path })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/not readable/) });
  });

  it('rejects a model whose feature count differs from the one asked for', async () => {
    await expect(loadMacroblockModel({ modelPath: tinyPath, featureCount: 7 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/expects 4 features per frame, the detector computes 7/),
    });
  });

  it('rejects bad options', async () => {
    await expect(loadMacroblockModel({ modelPath: '' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(loadMacroblockModel({ modelPath: tinyPath, threads: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('does not keep a failed load: a file fixed later loads', async () => {
    const path = join(dir, 'later.onnx');
    await expect(loadMacroblockModel({ modelPath: path })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await writeFile(path, await readFile(tinyPath));
    const model = await loadMacroblockModel({ modelPath: path });
    expect(model.featureCount).toBe(4);
  });

  async function write(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  }
});
