/**
 * Test support for ResultStore adapters, kept out of the root entry point so that importing
 * `@framewatch/storage` never pulls in Jest globals. Adapters in this lib import it relatively.
 */
export { describeResultStoreConformance, sampleResult } from './testing/result-store.conformance';
export type { MakeResultStore, ResultStoreConformanceHooks } from './testing/result-store.conformance';
export { describeJobStoreConformance } from './testing/job-store.conformance';
export type { JobStoreConformanceContext, MakeJobStore } from './testing/job-store.conformance';
export { describeFrameHandoffConformance } from './testing/frame-handoff.conformance';
export type { MakeFrameHandoff } from './testing/frame-handoff.conformance';
