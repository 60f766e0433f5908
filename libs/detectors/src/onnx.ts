/**
 * Loading the macroblocking model (`@framewatch/detectors/onnx`): a subpath of its own because it
 * loads onnxruntime-node's native addon, which an app that never runs the learned detector (the
 * CLI's default analysis, the audio detector group) should not pay for.
 */
export { MACROBLOCK_MODEL_INPUT, MACROBLOCK_MODEL_OUTPUT, loadMacroblockModel } from './macroblocking';
export type { MacroblockModel, MacroblockModelOptions } from './macroblocking';
