// Public API of detectors: the black, freeze, silence and clipping algorithms behind the Detector contract.
export { createDetector, detectorNames } from './detector';
export type { DetectorName, DetectorOptions } from './detector';
export { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_FEATURE_NAMES, MACROBLOCK_NEEDS, MacroblockFeatureTracker } from './macroblock-features';
export {
  DECODER_REPORT_EVIDENCE,
  DECODER_REPORT_FRAMES,
  DecoderReportGate,
  MACROBLOCK_EVIDENCE_FLOOR,
  MACROBLOCK_EVIDENCE_FRAMES,
  MACROBLOCK_SURE_EVIDENCE_FLOOR,
  MACROBLOCK_SURE_SCORE,
  MacroblockEvidenceGate,
  macroblockEvidence,
} from './macroblock-gate';
export { defaultThresholds, resolveThresholds } from './thresholds';
export type {
  BlackThresholds,
  ClippingThresholds,
  DetectorThresholdOverrides,
  DetectorThresholds,
  FreezeThresholds,
  SilenceThresholds,
} from './thresholds';
export { optionalDetectorNames } from './detector';
export type { MacroblockingOptions } from './detector';
export type { MacroblockModel, MacroblockModelOptions } from './macroblocking';
