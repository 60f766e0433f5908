import type { Logger } from '@framewatch/observability';
import type { AnalysisResult } from '@framewatch/pipeline';
import type { ResultStore } from '@framewatch/storage';

/** Stores a running job's checkpoints; see {@link createCheckpointWriter}. */
export interface CheckpointWriter {
  /** Queues a checkpoint; a newer one replaces one not yet written. Never throws. */
  save(checkpoint: AnalysisResult): void;
  /** Writes nothing more and waits for a write under way, so a final report cannot be overwritten. */
  close(): Promise<void>;
  /** The last checkpoint stored, if any. */
  last(): AnalysisResult | null;
}

/**
 * Writes a live job's checkpoints (its report so far, status `running`) to the ResultStore one at
 * a time, newest first: while one write is under way, only the latest of the checkpoints that
 * arrive meanwhile is kept, so a slow store delays checkpoints but never queues them up. A failed
 * write is logged and the next checkpoint tries again.
 *
 * @example
 * const checkpoints = createCheckpointWriter(results, log);
 * await runAnalysis(components, { ...request, onCheckpoint: checkpoints.save });
 * await checkpoints.close();
 */
export function createCheckpointWriter(results: ResultStore, logger: Logger): CheckpointWriter {
  let pending: AnalysisResult | null = null;
  let writing: Promise<void> | null = null;
  let stored: AnalysisResult | null = null;
  let closed = false;

  async function drain(): Promise<void> {
    while (pending && !closed) {
      const next: AnalysisResult = pending;
      pending = null;
      try {
        await results.put(next);
        stored = next;
      } catch (err) {
        logger.warn({ err }, 'could not store a checkpoint');
      }
    }
    writing = null;
  }

  return {
    save(checkpoint: AnalysisResult): void {
      if (closed) return;
      pending = checkpoint;
      writing ??= drain();
    },
    async close(): Promise<void> {
      closed = true;
      pending = null;
      await writing;
    },
    last: () => stored,
  };
}
