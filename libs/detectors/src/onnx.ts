/**
 * The learned detectors (`@framewatch/detectors/onnx`): loading the macroblocking model and
 * `openDetector`, which the apps use to build their detector group. A subpath of its own because
 * it loads onnxruntime-node's native addon (about 10 ms and 12 MB), which code that only needs
 * the signal detectors and features (tests, tools) should not pay for.
 */
export { MACROBLOCK_MODEL_INPUT, MACROBLOCK_MODEL_OUTPUT, loadMacroblockModel } from './macroblocking';
export type { MacroblockModel, MacroblockModelOptions } from './macroblocking';
export { MACROBLOCK_MODEL_FILE, defaultMacroblockModelPath, openDetector } from './open-detector';
export type { OpenDetectorOptions } from './open-detector';
