/**
 * `GET /v1/analyses/{id}/events`: a live server-sent event stream fed by polling
 * `JobStore.listEvents`. Polling (not a push channel) keeps the JobStore port the only thing the
 * API depends on, so it works the same over SQLite and DynamoDB.
 */
import type { Request, Response } from 'express';
import type { Logger } from '@framewatch/observability';
import type { JobEvent, JobStore } from '@framewatch/storage';
import type { AnalysisStatus } from '@framewatch/pipeline';

const terminalStatuses: ReadonlySet<AnalysisStatus> = new Set<AnalysisStatus>(['succeeded', 'failed', 'cancelled']);

/** Options of {@link streamJobEvents}. */
export interface EventStreamOptions {
  jobs: JobStore;
  logger: Logger;
  id: string;
  /** Events with a seq above this are sent (from `Last-Event-ID`). */
  afterSeq: number;
  pollMs: number;
  heartbeatMs: number;
}

/** The SSE frame of one job event; `id:` is its seq so that `Last-Event-ID` resumes after it. */
export function formatEvent(event: JobEvent): string {
  const data = JSON.stringify({ seq: event.seq, at: event.at, ...event.data });
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${data}\n\n`;
}

/**
 * Streams a job's events until the job is terminal and every event recorded up to then has been
 * sent, then writes a final `end` event (no `id:`, so it does not move the resume point) and
 * closes. Stops polling as soon as the client goes away.
 */
export async function streamJobEvents(req: Request, res: Response, options: EventStreamOptions): Promise<void> {
  const { jobs, logger, id, pollMs, heartbeatMs } = options;
  let lastSeq = options.afterSeq;
  let closed = false;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  res.on('close', onClose);

  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const heartbeat = setInterval(() => {
    if (!closed) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  try {
    res.write(`retry: ${Math.max(1000, pollMs)}\n\n`);
    while (!closed) {
      // Read the status before the events: if the job was terminal by then, every event it
      // recorded before becoming terminal is in this or an earlier batch.
      const job = await jobs.get(id);
      const status = job?.status;
      let batch: JobEvent[];
      do {
        batch = await jobs.listEvents(id, lastSeq);
        for (const event of batch) {
          if (closed) return;
          res.write(formatEvent(event));
          lastSeq = event.seq;
        }
      } while (batch.length > 0 && !closed);
      if (closed) return;
      if (job === null || (status !== undefined && terminalStatuses.has(status))) {
        res.write(`event: end\ndata: ${JSON.stringify({ id, status: status ?? null, lastSeq })}\n\n`);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } catch (err) {
    // Headers are gone; the client sees the stream end and resumes with Last-Event-ID.
    logger.warn({ err, id }, 'event stream failed');
    if (!closed) res.write(`event: error\ndata: ${JSON.stringify({ code: 'UNAVAILABLE' })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}
