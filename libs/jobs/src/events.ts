import type { Logger } from '@framewatch/observability';
import type { DefectEvent, DefectListener } from '@framewatch/pipeline';
import { JobEventType } from '@framewatch/storage';
import type { JobStore } from '@framewatch/storage';

/**
 * A DefectListener that records "defect opened/closed" as job events, which the API streams to
 * clients (SSE). Appends for one job are chained so they keep their order; a failed append is
 * logged, never thrown into the aggregator (an alert that cannot be recorded must not stop the
 * analysis). `flush` waits for everything appended so far.
 *
 * @example
 * const events = createJobEventListener(jobs, log);
 * const aggregator = createAggregator({ listener: events });
 */
export function createJobEventListener(jobs: JobStore, logger: Logger): DefectListener & { flush(): Promise<void> } {
  let chain: Promise<unknown> = Promise.resolve();
  const record = (jobId: string, type: JobEventType, event: DefectEvent): void => {
    chain = chain
      .then(() => jobs.appendEvent(jobId, type, { ...event }))
      .catch((err: unknown) => logger.warn({ err, jobId, type }, 'could not record a defect event'));
  };
  return {
    onDefectOpened: (jobId, event) => record(jobId, JobEventType.defectOpened, event),
    onDefectClosed: (jobId, event) => record(jobId, JobEventType.defectClosed, event),
    flush: async () => {
      await chain;
    },
  };
}
