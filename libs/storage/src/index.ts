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
export { createSqliteJobStore } from './sqlite-job-store';
export type { SqliteJobStoreOptions } from './sqlite-job-store';
export { JOB_ID_PATTERN, createJobIdGenerator, jobPayloadHash } from './job-rules';
export { createLocalFrameHandoff } from './local-frame-handoff';
export type { LocalFrameHandoffOptions } from './local-frame-handoff';
export { FRAME_KEY_MAX_SEGMENT, FRAME_KEY_PATTERN, assertFrameKey } from './frame-key';
