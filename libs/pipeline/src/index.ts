export { AnalysisStatus, DefectType } from './contracts';
export type {
  Aggregator,
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
  SourceRef,
  StreamStart,
} from './contracts';
