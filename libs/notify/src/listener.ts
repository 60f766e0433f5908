import type { Logger } from '@framewatch/observability';
import type { DefectEvent, DefectListener } from '@framewatch/pipeline';
import { toAlert } from './alert';
import { AlertKind } from './notifier';
import type { Notifier } from './notifier';

/** Options of {@link createNotifyingListener}. */
export interface NotifyingListenerOptions {
  /** Clock for the alerts' `at`; `() => new Date()` by default. */
  now?: () => Date;
}

/** A DefectListener that publishes alerts, and lets its owner wait for them. */
export interface NotifyingListener extends DefectListener {
  /** Resolves once every alert raised so far has been published or given up (never rejects). */
  flush(): Promise<void>;
}

/**
 * A DefectListener that turns "defect opened/closed" callbacks into alerts (with deterministic
 * ids, see `alertIdFor`) and publishes them. The aggregator is never blocked: callbacks return at
 * once, and publishes are chained per job so each job's alerts leave in the order they were
 * raised, while different jobs do not wait for each other. A failed publish is logged, never
 * thrown into the aggregator: an alert that cannot be delivered must not stop the analysis.
 *
 * @example
 * const alerts = createNotifyingListener(notifier, log);
 * const aggregator = createAggregator({ listener: alerts });
 * // … after the job: await alerts.flush();
 */
export function createNotifyingListener(notifier: Notifier, logger: Logger, options: NotifyingListenerOptions = {}): NotifyingListener {
  const now = options.now ?? (() => new Date());
  // Tail of each job's chain; dropped once it settles so finished jobs leave nothing behind.
  const chains = new Map<string, Promise<void>>();

  const raise = (jobId: string, kind: AlertKind, event: DefectEvent): void => {
    let alert;
    try {
      alert = toAlert(jobId, kind, event, now());
    } catch (err) {
      logger.warn({ err, jobId, kind }, 'could not build a defect alert');
      return;
    }
    const previous = chains.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => notifier.publish(alert))
      .catch((err: unknown) => logger.warn({ err, jobId, kind, alertId: alert.alertId }, 'could not publish a defect alert'));
    chains.set(jobId, next);
    void next.then(() => {
      if (chains.get(jobId) === next) chains.delete(jobId);
    });
  };

  return {
    onDefectOpened: (jobId, event) => raise(jobId, AlertKind.opened, event),
    onDefectClosed: (jobId, event) => raise(jobId, AlertKind.closed, event),
    async flush() {
      // Loop: a publish that settles may be followed by alerts raised meanwhile.
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}
