export { AnalysisStatus, DefectType } from './contracts';
export type {
  Aggregator,
  AnalysisCheckpoint,
  AnalysisResult,
  AnalysisStats,
  DecodeOptions,
  DecodeSpec,
  DefectEvent,
  DefectListener,
  Detector,
  DetectorInfo,
  MediaConverter,
  MediaInfo,
  MediaNeeds,
  SourceEvent,
  SourceRef,
  StreamSnapshot,
  StreamStart,
  VideoNeed,
} from './contracts';
export { combineListeners, compareDefects, createAggregator, defaultEventRules } from './aggregator';
export type { AggregatorOptions, EventRule } from './aggregator';
export { mergeDetections, mergeNeeds, projectBatch, runAnalysis } from './runner';
export type { AnalysisProgress, AnalysisRequest, RunnerComponents } from './runner';
export { formatTimecode, renderReportHtml, summarizeDefects } from './report';
export { aggregatorContract, detectorContract, storedFrameDetectorContract } from './remote';
export type { StoredFrameDetector } from './remote';
