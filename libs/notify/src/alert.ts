import { createHash } from 'node:crypto';
import type { DefectEvent } from '@framewatch/pipeline';
import { InvalidAlertError } from './errors';
import { AlertKind } from './notifier';
import type { DefectAlert } from './notifier';

/** Shape of every id {@link alertIdFor} returns: `al-` and 32 lower-case hex digits. */
export const ALERT_ID_PATTERN = /^al-[0-9a-f]{32}$/;

/**
 * The transport attributes of an alert: SNS MessageAttributes, webhook headers. Consumers (and SNS
 * subscription filter policies) can route and de-duplicate on them without parsing the body.
 */
export interface AlertAttributes {
  alertId: string;
  jobId: string;
  kind: AlertKind;
  defectType: string;
}

/**
 * The deterministic id of one transition (`opened`/`closed`) of one defect of one job: SHA-256 of
 * the job id, the kind, the defect type and the start time in whole milliseconds. The end time is
 * left out on purpose: it grows while a defect is open, and a re-sent "opened" must keep its id
 * (RELIABILITY R9).
 *
 * @example
 * alertIdFor('an-1', 'opened', { type: 'black', startSec: 5, endSec: 5.04, confidence: 1, detail: {} });
 * // → 'al-…' (the same string on every call and every machine)
 */
export function alertIdFor(jobId: string, kind: AlertKind, event: Pick<DefectEvent, 'type' | 'startSec'>): string {
  const startMs = Math.round(event.startSec * 1000);
  // A separator no field can contain keeps ("a", "bc") and ("ab", "c") apart.
  const digest = createHash('sha256').update(['fw-alert-v1', jobId, kind, event.type, String(startMs)].join('\u0000')).digest('hex');
  return `al-${digest.slice(0, 32)}`;
}

/**
 * Builds the alert for one defect transition, with its deterministic id.
 *
 * @example
 * const alert = toAlert('an-1', AlertKind.closed, event, new Date());
 * await notifier.publish(alert);
 */
export function toAlert(jobId: string, kind: AlertKind, event: DefectEvent, at: Date = new Date()): DefectAlert {
  return { alertId: alertIdFor(jobId, kind, event), jobId, kind, event: { ...event, detail: { ...event.detail } }, at: at.toISOString() };
}

/** The attributes an adapter sends next to the alert body (see {@link AlertAttributes}). */
export function alertAttributes(alert: DefectAlert): AlertAttributes {
  return { alertId: alert.alertId, jobId: alert.jobId, kind: alert.kind, defectType: alert.event.type };
}

const kinds: ReadonlySet<string> = new Set(Object.values(AlertKind));

/**
 * Throws {@link InvalidAlertError} (`USAGE`) unless `alert` can be published: adapters call it
 * before sending anything, so a malformed alert is never half-delivered.
 */
export function assertValidAlert(alert: DefectAlert): void {
  const problem = alertProblem(alert);
  if (problem !== undefined) throw new InvalidAlertError(`invalid alert: ${problem}`, { detail: { alertId: alert?.alertId } });
}

function alertProblem(alert: DefectAlert): string | undefined {
  if (alert === null || typeof alert !== 'object') return 'not an object';
  if (typeof alert.alertId !== 'string' || alert.alertId.length === 0 || alert.alertId.length > 128) return 'alertId must be a non-empty string (≤ 128 chars)';
  if (typeof alert.jobId !== 'string' || alert.jobId.length === 0 || alert.jobId.length > 256) return 'jobId must be a non-empty string (≤ 256 chars)';
  if (!kinds.has(alert.kind)) return `kind must be one of ${[...kinds].join(', ')}`;
  const event = alert.event;
  if (event === null || typeof event !== 'object') return 'event is missing';
  if (typeof event.type !== 'string' || event.type.length === 0) return 'event.type must be a non-empty string';
  if (!Number.isFinite(event.startSec) || !Number.isFinite(event.endSec)) return 'event.startSec and event.endSec must be finite numbers';
  if (typeof alert.at !== 'string' || Number.isNaN(Date.parse(alert.at))) return 'at must be an ISO-8601 time';
  return undefined;
}
