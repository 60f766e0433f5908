export { RESULT_ID_PATTERN, compareResultIds } from './result-store';
export type { ListResultsOptions, ResultStore } from './result-store';
export { createLocalResultStore } from './local-result-store';
export type { LocalResultStoreOptions } from './local-result-store';
export { JobEventType } from './job-store';
export type {
  FrameHandoff,
  JobEvent,
  JobLease,
  JobOutcome,
  JobRecord,
  JobSource,
  JobStore,
  ListJobsOptions,
  NewJob,
} from './job-store';
