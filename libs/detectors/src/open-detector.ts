import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Detector } from '@framewatch/pipeline';
import { createDetector } from './detector';
import type { DetectorOptions } from './detector';
import { MACROBLOCK_FEATURE_COUNT } from './macroblock-features';
import { loadMacroblockModel } from './macroblocking';

/** File name of the committed macroblocking model (libs/detectors/models/, next to each bundle under models/). */
export const MACROBLOCK_MODEL_FILE = 'macroblocking.onnx';

/** Options of {@link openDetector}: {@link DetectorOptions} without the loaded model, plus where to find it. */
export interface OpenDetectorOptions extends Omit<DetectorOptions, 'macroblocking'> {
  /** The macroblocking model file; default {@link defaultMacroblockModelPath}. Used only when `detectors` lists `macroblocking`. */
  macroblockingModel?: string;
}

/**
 * Where the model ships: `models/macroblocking.onnx` next to an app's bundle (tools/scripts/bundle.mjs
 * copies it there with onnxruntime-node), or libs/detectors/models/ when running from sources.
 */
export function defaultMacroblockModelPath(): string {
  const candidates = [path.join(__dirname, 'models', MACROBLOCK_MODEL_FILE), path.join(__dirname, '..', 'models', MACROBLOCK_MODEL_FILE)];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

/**
 * Creates a detector group as {@link createDetector} does, first loading what its algorithms
 * need: when `detectors` lists `macroblocking`, the model (once per process, one onnxruntime
 * thread). Call it at start-up: a missing or broken model fails here, not at the first frame.
 * (It lives in `@framewatch/detectors/onnx`: importing it loads onnxruntime-node's addon, about
 * 10 ms and 12 MB; `createDetector` alone does not.)
 *
 * @throws ConfigError (code `CONFIG_INVALID`) for a missing, unreadable or invalid model file, or
 * one whose input width is not the detector's feature count; UsageError as createDetector does.
 *
 * @example
 * const detector = await openDetector({ detectors: ['black', 'macroblocking'] });
 */
export async function openDetector(options: OpenDetectorOptions = {}): Promise<Detector> {
  const { macroblockingModel, ...rest } = options;
  if (!options.detectors?.includes('macroblocking')) return createDetector(rest);
  const model = await loadMacroblockModel({ modelPath: macroblockingModel || defaultMacroblockModelPath(), threads: 1, featureCount: MACROBLOCK_FEATURE_COUNT });
  return createDetector({ ...rest, macroblocking: { model } });
}
