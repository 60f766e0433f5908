import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, FramewatchError, UsageError } from '@framewatch/errors';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** Name of the model's input: float32 `[N, F]`, one row of features per frame. */
export const MACROBLOCK_MODEL_INPUT = 'features';

/** Name of the model's output: float32 `[N, 1]`, one score in [0, 1] per frame. */
export const MACROBLOCK_MODEL_OUTPUT = 'score';

/** Options of {@link loadMacroblockModel}. */
export interface MacroblockModelOptions {
  /** Path of the ONNX file (relative paths are resolved against the working directory). */
  modelPath: string;
  /**
   * Threads onnxruntime may use for one run (`intraOpNumThreads`). Default 1: a frame batch is a
   * few dozen rows of a small MLP, where more threads cost more in wake-ups than they save, and
   * the rest of the detector is single-threaded too.
   */
  threads?: number;
  /** Feature count the caller will feed; when given, a model whose input width differs is rejected. */
  featureCount?: number;
}

/** A loaded macroblocking model; one per model file per process (see {@link loadMacroblockModel}). */
export interface MacroblockModel {
  /** Absolute path of the model file. */
  readonly modelPath: string;
  /** Features per frame the model takes (the width of its input). */
  readonly featureCount: number;
  /** `intraOpNumThreads` the session was created with. */
  readonly threads: number;
  /**
   * Scores `n` frames in one run. `features` holds `n × featureCount` values, frame-major.
   * Resolves to `n` scores in [0, 1] (0.5 is the decision threshold), in frame order.
   *
   * @throws UsageError (code `USAGE`) when `n` is not a non-negative
   * integer or `features` does not hold `n × featureCount` values; `INTERNAL` when onnxruntime
   * fails or returns an unexpected shape.
   */
  score(features: Float32Array, n: number): Promise<Float32Array>;
}

/** Sessions of this process, by absolute model path. Failed loads are not kept. */
const loaded = new Map<string, { threads: number; model: Promise<MacroblockModel> }>();

/**
 * Loads the macroblocking model once per process: a second call with the same path (and thread
 * count) returns the same model and session. The session runs sequentially with explicit
 * `intraOpNumThreads` (onnxruntime's default is one thread per core) and `interOpNumThreads` 1.
 * Every problem with the file is found here, at start-up, not at the first frame.
 *
 * @throws ConfigError (code `CONFIG_INVALID`, message naming the path) when the file is missing,
 * unreadable, empty or not a valid ONNX model; when the model's input is not a float32
 * `[N, F]` tensor named `features` (or `F` differs from `featureCount`), or its output is not a
 * float32 `[N, 1]` tensor named `score`; when `threads` is not a positive integer; or when the
 * same file is already loaded with a different thread count.
 *
 * @example
 * const model = await loadMacroblockModel({ modelPath: 'models/macroblocking.onnx', threads: 1 });
 * const scores = await model.score(features, frameCount); // features: frameCount × model.featureCount
 */
export async function loadMacroblockModel(options: MacroblockModelOptions): Promise<MacroblockModel> {
  const { modelPath, featureCount } = options;
  const threads = options.threads ?? 1;
  if (typeof modelPath !== 'string' || modelPath === '') throw new ConfigError('macroblocking model path must be a non-empty string');
  if (!Number.isInteger(threads) || threads < 1) throw new ConfigError(`macroblocking model ${modelPath}: threads must be a positive integer, got ${threads}`);
  if (featureCount !== undefined && (!Number.isInteger(featureCount) || featureCount < 1)) {
    throw new ConfigError(`macroblocking model ${modelPath}: featureCount must be a positive integer, got ${featureCount}`);
  }
  const path = resolve(modelPath);
  const cached = loaded.get(path);
  if (cached !== undefined) {
    if (cached.threads !== threads) {
      throw new ConfigError(`macroblocking model ${path} is already loaded with ${cached.threads} thread(s); one session per process, cannot reload it with ${threads}`);
    }
    const model = await cached.model;
    checkFeatureCount(model, featureCount);
    return model;
  }
  const entry = { threads, model: openModel(path, threads) };
  loaded.set(path, entry);
  let model: MacroblockModel;
  try {
    model = await entry.model;
  } catch (error) {
    // A broken file may be fixed and loaded again; only a working session is kept.
    if (loaded.get(path) === entry) loaded.delete(path);
    throw error;
  }
  checkFeatureCount(model, featureCount);
  return model;
}

function checkFeatureCount(model: MacroblockModel, featureCount: number | undefined): void {
  if (featureCount !== undefined && model.featureCount !== featureCount) {
    throw new ConfigError(`macroblocking model ${model.modelPath} expects ${model.featureCount} features per frame, the detector computes ${featureCount}`);
  }
}

async function openModel(path: string, threads: number): Promise<MacroblockModel> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ConfigError(`macroblocking model ${path} is not a regular file`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError(`macroblocking model ${path} ${problem}`, { cause: error, detail: { modelPath: path } });
  }
  if (bytes.length === 0) throw new ConfigError(`macroblocking model ${path} is empty (0 bytes)`, { detail: { modelPath: path } });

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new ConfigError(`macroblocking model ${path} is not a valid ONNX model: ${firstLine(error)}`, { cause: error, detail: { modelPath: path } });
  }
  let featureCount: number;
  try {
    featureCount = checkSignature(session, path);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
  return createModel(session, path, featureCount, threads);
}

/** Checks the model's input and output against the contract; returns the feature count. */
function checkSignature(session: InferenceSession, path: string): number {
  const describe = (m: InferenceSession.ValueMetadata): string => (m.isTensor ? `${m.name}: ${m.type} [${m.shape.join(', ')}]` : `${m.name}: non-tensor`);
  const wrong = (problem: string): ConfigError =>
    new ConfigError(`macroblocking model ${path} has the wrong signature: ${problem}`, {
      detail: { modelPath: path, inputs: session.inputMetadata.map(describe), outputs: session.outputMetadata.map(describe) },
    });
  const inputs = session.inputMetadata;
  const outputs = session.outputMetadata;
  if (inputs.length !== 1 || inputs[0]?.name !== MACROBLOCK_MODEL_INPUT) {
    throw wrong(`expected one input "${MACROBLOCK_MODEL_INPUT}", found ${inputs.map((m) => `"${m.name}"`).join(', ') || 'none'}`);
  }
  if (outputs.length < 1 || !outputs.some((m) => m.name === MACROBLOCK_MODEL_OUTPUT)) {
    throw wrong(`expected an output "${MACROBLOCK_MODEL_OUTPUT}", found ${outputs.map((m) => `"${m.name}"`).join(', ') || 'none'}`);
  }
  const input = inputs[0];
  const output = outputs.find((m) => m.name === MACROBLOCK_MODEL_OUTPUT) as InferenceSession.ValueMetadata;
  if (!input.isTensor || input.type !== 'float32' || input.shape.length !== 2 || typeof input.shape[1] !== 'number' || input.shape[1] < 1) {
    throw wrong(`input must be float32 [N, F], found ${describe(input)}`);
  }
  if (typeof input.shape[0] === 'number' && input.shape[0] !== -1) {
    throw wrong(`input batch dimension must be dynamic, found ${describe(input)}`);
  }
  if (!output.isTensor || output.type !== 'float32' || output.shape.length !== 2 || output.shape[1] !== 1) {
    throw wrong(`output must be float32 [N, 1], found ${describe(output)}`);
  }
  return input.shape[1];
}

function createModel(session: InferenceSession, modelPath: string, featureCount: number, threads: number): MacroblockModel {
  return {
    modelPath,
    featureCount,
    threads,
    async score(features, n) {
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`macroblocking score: frame count must be a non-negative integer, got ${n}`);
      if (!(features instanceof Float32Array) || features.length !== n * featureCount) {
        throw new UsageError(`macroblocking score: expected ${n}×${featureCount} = ${n * featureCount} features, got ${features?.length}`);
      }
      if (n === 0) return new Float32Array(0);
      let result: InferenceSession.ReturnType;
      try {
        // Exactly n×F values (a view of a larger buffer would be read past its end otherwise).
        const data = features.byteOffset === 0 && features.buffer.byteLength === features.byteLength ? features : features.slice();
        result = await session.run({ [MACROBLOCK_MODEL_INPUT]: new Tensor('float32', data, [n, featureCount]) }, [MACROBLOCK_MODEL_OUTPUT]);
      } catch (error) {
        throw new FramewatchError('INTERNAL', `macroblocking model ${modelPath}: inference failed: ${firstLine(error)}`, { cause: error });
      }
      const out = result[MACROBLOCK_MODEL_OUTPUT];
      if (out === undefined || out.type !== 'float32' || out.data.length !== n) {
        throw new FramewatchError('INTERNAL', `macroblocking model ${modelPath}: expected ${n} float32 scores, got ${out?.type} [${out?.dims.join(', ')}]`);
      }
      const scores = new Float32Array(n);
      scores.set(out.data as Float32Array);
      out.dispose();
      return scores;
    },
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
