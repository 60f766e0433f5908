// Public API of detectors: the black, freeze, silence and clipping algorithms behind the Detector contract.
export { createDetector, detectorNames } from './detector';
export type { DetectorName, DetectorOptions } from './detector';
export { defaultThresholds, resolveThresholds } from './thresholds';
export type {
  BlackThresholds,
  ClippingThresholds,
  DetectorThresholdOverrides,
  DetectorThresholds,
  FreezeThresholds,
  SilenceThresholds,
} from './thresholds';
