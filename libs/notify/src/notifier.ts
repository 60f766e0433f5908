/**
 * The Notifier port (DESIGN.md "Storage"): where "defect opened/closed" alerts go while an
 * analysis runs. Adapters: log + optional webhook (default), SNS topic (`./aws`).
 */
import type { DefectEvent } from '@framewatch/pipeline';

/** Whether an alert reports a defect starting or ending. */
export const AlertKind = {
  opened: 'opened',
  closed: 'closed',
} as const;

/** One of the {@link AlertKind} values. */
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/** One alert about one defect of one job. */
export interface DefectAlert {
  /**
   * Deterministic id: the same defect's same transition always gets the same id, so a publish
   * retried after a lost acknowledgement can be de-duplicated by consumers (RELIABILITY R9).
   */
  alertId: string;
  jobId: string;
  kind: AlertKind;
  event: DefectEvent;
  /** ISO-8601 time the alert was raised. */
  at: string;
}

/**
 * Publishes alerts. `publish` may be retried by the caller or the SDK: consumers de-duplicate by
 * `alertId`. Errors: `UNAVAILABLE` when the destination cannot be reached after the adapter's
 * retries; `USAGE` for an invalid alert.
 */
export interface Notifier {
  publish(alert: DefectAlert): Promise<void>;
  close(): Promise<void>;
}
