// Public API of model-training.
export { MLP_ONNX_OPSET, writeMlpOnnx } from './onnx-writer';
export type { MlpActivation, MlpLayer, MlpOnnxOptions } from './onnx-writer';
export { ALIGN_FRAMES, CORRUPT_SHARE, DAMAGED_CELL_MAD, DAMAGED_TEXTURE_STEP, SIZES, TEST_SOURCES, TRAIN_SOURCES, VALIDATION_SOURCES, compareFrames, generateDataset, labelAligned, labelFrame, planClips, summariseFrame } from './data';
export type { ClipData, ClipSpec, FrameSummary, GenerateOptions, Split } from './data';
export { EVENT_GAP, evaluate, eventFigures, events, prf, rocAuc, stack } from './evaluate';
export type { Evaluation, EventFigures, Prf } from './evaluate';
export { detectorScores, pictureScores, runExperiment, scoreClip } from './experiment';
export type { ExperimentResult } from './experiment';
export { bestThreshold, combineMlps, mlpLayers, predict, trainEnsemble, trainMlp } from './train';
export type { Mlp, TrainOptions } from './train';
