import { CancelledError, FramewatchError, toFramewatchError } from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';
import { compareDefects, renderReportHtml, runAnalysis } from '@framewatch/pipeline';
import type { AnalysisResult, RunnerComponents, SourceRef } from '@framewatch/pipeline';
import { displaySource } from '@framewatch/source-rules';
import { JobEventType } from '@framewatch/storage';
import type { JobRecord, JobStore, ResultStore } from '@framewatch/storage';
import { createCheckpointWriter } from './checkpoints';

/** Least time between two progress events of a job with a known duration, and of a live one. */
const PROGRESS_MS = 1000;
const LIVE_PROGRESS_MS = 10_000;

/** Options of {@link createJobWorker}. */
export interface JobWorkerOptions {
  jobs: JobStore;
  results: ResultStore;
  /** The components a job runs on, local or remote bindings; called once per job. */
  components: (job: JobRecord) => RunnerComponents;
  /** Where the worker reads a job's media from. */
  resolveSource: (job: JobRecord) => SourceRef;
  /** This worker's identity in leases (host + pid + random is a good choice). */
  owner: string;
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** Lease length; a worker that dies loses its jobs to others after this long. */
  leaseSec: number;
  /** How often a running job's lease is extended (well under `leaseSec`). */
  heartbeatSec: number;
  /** How often the store is polled for work when idle. */
  pollMs: number;
  framesPerBatch: number;
  /** Seconds between checkpoints of a live job's open events (default 10); openings and closings are stored at once. */
  checkpointSec?: number;
  logger: Logger;
  /** Waits until defect events recorded so far are stored (called before a job completes). */
  flushEvents?: () => Promise<void>;
  /**
   * Called when this worker picks a job up, before any component is called. With
   * {@link JobWorkerOptions.onJobFinished} it brackets a job, e.g. to log per-job transport counters.
   */
  onJobStarted?: (job: JobRecord) => void;
  /**
   * Called once a job's result is stored, before the job is marked `succeeded`, so whatever it
   * logs is out before a client can see the job finished. Not called for failed or cancelled
   * jobs. A throw is logged and ignored: observing a job must never fail it.
   */
  onJobFinished?: (job: JobRecord, result: AnalysisResult) => void;
}

/** A running worker. */
export interface JobWorker {
  /** Starts polling for jobs. */
  start(): void;
  /**
   * Stops claiming and interrupts running jobs without completing them: their leases run out and
   * a worker (this one after a restart, or another) resumes them. Resolves when they have ended.
   */
  stop(): Promise<void>;
  /** Claims and runs at most one job now; false when there was none. For tests and tools. */
  runOnce(): Promise<boolean>;
  /** Jobs running now. */
  active(): number;
}

/**
 * The loop that turns queued jobs into results: claim with a lease, keep the lease alive,
 * run the analysis on the components it is given, store the result, complete the job exactly
 * once. A job whose worker dies is claimed again by any worker once its lease expires. A file
 * runs from the start: results are keyed by job id, so the rerun overwrites nothing but itself.
 * A live stream has no start to go back to: while it runs, its report so far is checkpointed to
 * the ResultStore (status `running`) whenever an event opens or closes and every `checkpointSec`,
 * and the next attempt resumes from the checkpoint on the same timeline, without alerting twice
 * for what was already alerted. Cancellation (`requestCancel`) is seen on the next heartbeat.
 *
 * @example
 * const worker = createJobWorker({ jobs, results, components: () => ({ converter, detectors, aggregator }),
 *   resolveSource: resolveJobSource, owner: 'w1',
 *   concurrency: 2, leaseSec: 30, heartbeatSec: 5, pollMs: 250, framesPerBatch: 25, logger });
 * worker.start();
 */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { jobs, results, logger } = options;
  const running = new Map<string, Promise<void>>();
  const controllers = new Set<AbortController>();
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;

  async function execute(job: JobRecord): Promise<void> {
    // `controller` abandons the run (shutdown, lost lease); `stop` ends it cleanly on a
    // cancellation request, keeping the report of what was seen (a live stream ends no other way).
    const controller = new AbortController();
    const stop = new AbortController();
    controllers.add(controller);
    let leaseLost = false;
    const heartbeat = setInterval(() => {
      jobs
        .heartbeat(job.id, options.owner, options.leaseSec)
        .then((current) => {
          if (current.cancelRequested && !stop.signal.aborted) stop.abort();
        })
        .catch((err: unknown) => {
          if (err instanceof FramewatchError && err.code === 'CONFLICT') {
            leaseLost = true;
            controller.abort();
          }
          logger.warn({ err, jobId: job.id }, 'heartbeat failed');
        });
    }, options.heartbeatSec * 1000);
    heartbeat.unref();
    const log = logger.child({ jobId: job.id, attempt: job.attempts });
    log.info('job started');
    observe(() => options.onJobStarted?.(job), log);
    const checkpoints = createCheckpointWriter(results, log);
    try {
      await jobs.appendEvent(job.id, JobEventType.status, { status: 'running', attempt: job.attempts });
      const earlier = await earlierReportOf(job, log);
      if (earlier?.status === 'succeeded') {
        // An earlier attempt stored its report (its alerts flushed before it) and then stopped
        // before marking the job done: that report stands. Analysing again would write the
        // report a second time with other timings (RELIABILITY R15).
        await results.putArtifact(job.id, 'report.html', renderReportHtml(earlier), 'text/html; charset=utf-8');
        observe(() => options.onJobFinished?.(job, earlier), log);
        await finish(job, 'succeeded');
        log.info({ defects: earlier.defects.length }, 'job succeeded: the report an earlier attempt stored stands');
        return;
      }
      const resume = earlier?.status === 'running' && earlier.checkpoint ? earlier : undefined;
      if (resume?.checkpoint) {
        log.info(
          { mediaSec: resume.checkpoint.mediaSec, savedAt: resume.checkpoint.savedAt, closed: resume.defects.length, open: resume.checkpoint.open.length },
          'resuming a live analysis from its checkpoint',
        );
      }
      let lastProgress = 0;
      const result = await runAnalysis(options.components(job), {
        id: job.id,
        source: options.resolveSource(job),
        sourceLabel: labelOf(job),
        framesPerBatch: options.framesPerBatch,
        signal: controller.signal,
        stopSignal: stop.signal,
        ...(resume ? { resume } : {}),
        onCheckpoint: checkpoints.save,
        checkpointSec: options.checkpointSec ?? 10,
        onDegraded: (state) => {
          if (state.degraded) log.warn(state, 'live analysis is falling behind real time (degraded)');
          else log.info(state, 'live analysis caught up with real time');
          void jobs.appendEvent(job.id, JobEventType.degraded, { ...state }).catch(() => undefined);
        },
        onProgress: (p) => {
          const now = Date.now();
          // A live job runs for days: a progress event every 10 s, not every second, keeps its
          // event log (and the JobStore) from growing by 86 400 rows a day.
          if (now - lastProgress < (p.durationSec === null ? LIVE_PROGRESS_MS : PROGRESS_MS)) return;
          lastProgress = now;
          void jobs.appendEvent(job.id, JobEventType.progress, { ...p }).catch(() => undefined);
        },
      });
      await options.flushEvents?.();
      await checkpoints.close();
      await results.put(result);
      await results.putArtifact(job.id, 'report.html', renderReportHtml(result), 'text/html; charset=utf-8');
      observe(() => options.onJobFinished?.(job, result), log);
      await finish(job, result.status === 'cancelled' ? 'cancelled' : 'succeeded');
      log.info({ defects: result.defects.length, wallSec: result.stats.wallSec }, result.status === 'cancelled' ? 'job cancelled; report of what was seen stored' : 'job succeeded');
    } catch (err) {
      await options.flushEvents?.().catch(() => undefined);
      await checkpoints.close();
      if (leaseLost) {
        log.warn('lease lost; another worker owns the job now');
        return;
      }
      if (stopping) {
        log.info('interrupted by shutdown; the job resumes when its lease expires');
        return;
      }
      const fw = toFramewatchError(err);
      // Aborted by a cancellation request: whatever error the abort surfaced as, the job was cancelled.
      if (fw instanceof CancelledError || fw.code === 'CANCELLED' || controller.signal.aborted || stop.signal.aborted) {
        await storeLastCheckpoint(checkpoints.last(), 'cancelled', undefined, log);
        await finish(job, 'cancelled');
        log.info('job cancelled');
      } else {
        await storeLastCheckpoint(checkpoints.last(), 'failed', { code: fw.code, message: fw.message }, log);
        await finish(job, 'failed', { code: fw.code, message: fw.message });
        log.warn({ code: fw.code, err: fw.code === 'INTERNAL' ? err : undefined }, `job failed: ${fw.message}`);
      }
    } finally {
      clearInterval(heartbeat);
      controllers.delete(controller);
    }
  }

  /**
   * What an earlier attempt of this job stored, if this is a later attempt: a live job's
   * checkpoint (status `running`), or the finished report of an attempt that stopped before it
   * could mark the job done.
   */
  async function earlierReportOf(job: JobRecord, log: Logger): Promise<AnalysisResult | undefined> {
    if (job.attempts <= 1) return undefined;
    try {
      return (await results.get(job.id)) ?? undefined;
    } catch (err) {
      // Unreadable: the job starts afresh rather than not running at all.
      log.warn({ err }, 'could not read what an earlier attempt stored; starting afresh');
      return undefined;
    }
  }

  /**
   * A live job that ends without a report of its own (it failed, or was abandoned by a
   * cancellation) after storing checkpoints keeps their events: its stored report takes the
   * job's final status, with every event seen (open ones ended where last seen), and does not
   * say `running` forever.
   */
  async function storeLastCheckpoint(
    last: AnalysisResult | null,
    status: 'failed' | 'cancelled',
    error: { code: string; message: string } | undefined,
    log: Logger,
  ): Promise<void> {
    if (!last?.checkpoint) return;
    const { checkpoint, ...report } = last;
    const defects = [...report.defects, ...checkpoint.open].sort(compareDefects);
    await results.put({ ...report, status, ...(error ? { error } : {}), defects }).catch((err: unknown) => log.warn({ err }, 'could not store the last report of a live job'));
  }

  async function finish(
    job: JobRecord,
    status: 'succeeded' | 'failed' | 'cancelled',
    error?: { code: string; message: string },
  ): Promise<void> {
    try {
      await jobs.complete(job.id, options.owner, error ? { status, error } : { status });
      await jobs.appendEvent(job.id, JobEventType.status, error ? { status, error } : { status });
    } catch (err) {
      logger.warn({ err, jobId: job.id, status }, 'could not complete the job');
    }
  }

  async function runOnce(): Promise<boolean> {
    if (stopping || running.size >= options.concurrency) return false;
    const job = await jobs.claim(options.owner, options.leaseSec);
    if (!job) return false;
    const done = execute(job).finally(() => running.delete(job.id));
    running.set(job.id, done);
    return true;
  }

  async function tick(): Promise<void> {
    try {
      while (await runOnce()) {
        // claim until full or the queue is empty
      }
    } catch (err) {
      logger.warn({ err }, 'claiming jobs failed');
    }
  }

  return {
    start(): void {
      if (timer) return;
      stopping = false;
      timer = setInterval(() => void tick(), options.pollMs);
      void tick();
    },
    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = null;
      for (const controller of controllers) controller.abort();
      await Promise.allSettled([...running.values()]);
    },
    runOnce,
    active: () => running.size,
  };
}

/** Runs an observer hook; its failure is logged, never allowed to change the job's outcome. */
function observe(hook: () => void, log: Logger): void {
  try {
    hook();
  } catch (err) {
    log.warn({ err }, 'job observer failed');
  }
}

/** How a job's source is named in its report: the URL without query or credentials (they may hold secrets), or the uploaded file's name. */
function labelOf(job: JobRecord): string {
  if (job.source.url) return displaySource(job.source.url);
  if (job.source.s3) return `s3://${job.source.s3.bucket}/${job.source.s3.key}`;
  if (job.source.upload) return 'upload';
  return job.id;
}
