export { createJobEventListener } from './events';
export { createJobWorker } from './worker';
export type { JobWorker, JobWorkerOptions } from './worker';
export { resolveJobSource } from './source';
