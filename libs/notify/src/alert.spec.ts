import { ALERT_ID_PATTERN, alertAttributes, alertIdFor, assertValidAlert, toAlert } from './alert';
import type { DefectAlert } from './notifier';

const event = { type: 'black' as const, startSec: 5, endSec: 7, confidence: 0.99, detail: { meanLuma: 3 } };

describe('alertIdFor', () => {
  it('is a pinned function of job, kind, type and start: the same id on every machine and release', () => {
    expect(alertIdFor('an-1', 'opened', event)).toBe('al-88be0989c5d881b720bc65ea54fd935c');
  });

  it('ignores endSec, confidence and detail, which change while a defect is open', () => {
    const id = alertIdFor('an-1', 'opened', event);
    const grown = { ...event, endSec: 99 };
    expect(alertIdFor('an-1', 'opened', grown)).toBe(id);
    expect(toAlert('an-1', 'opened', { ...event, endSec: 12, confidence: 0.5, detail: {} }).alertId).toBe(id);
  });

  it('rounds the start to whole milliseconds, so float noise does not change the id', () => {
    const id = alertIdFor('an-1', 'opened', event);
    expect(alertIdFor('an-1', 'opened', { ...event, startSec: 5.0000001 })).toBe(id);
    expect(alertIdFor('an-1', 'opened', { ...event, startSec: 0.1 + 4.9 })).toBe(id);
    expect(alertIdFor('an-1', 'opened', { ...event, startSec: 5.001 })).not.toBe(id);
  });

  it('differs by job, kind and defect type, and cannot be confused by shifting characters between fields', () => {
    const ids = new Set([
      alertIdFor('an-1', 'opened', event),
      alertIdFor('an-2', 'opened', event),
      alertIdFor('an-1', 'closed', event),
      alertIdFor('an-1', 'opened', { ...event, type: 'freeze' }),
      alertIdFor('an-1', 'opened', { ...event, startSec: 6 }),
    ]);
    expect(ids.size).toBe(5);
    expect(alertIdFor('an-1b', 'opened', { ...event, type: 'lack' as never })).not.toBe(alertIdFor('an-1', 'opened', { ...event, type: 'blac' as never }));
    for (const id of ids) expect(id).toMatch(ALERT_ID_PATTERN);
  });
});

describe('toAlert', () => {
  it('stamps the time, copies the event, and derives the attributes', () => {
    const alert = toAlert('an-1', 'closed', event, new Date('2030-01-01T00:00:00Z'));
    expect(alert).toEqual({ alertId: alertIdFor('an-1', 'closed', event), jobId: 'an-1', kind: 'closed', event, at: '2030-01-01T00:00:00.000Z' });
    expect(alert.event).not.toBe(event);
    expect(alert.event.detail).not.toBe(event.detail);
    expect(alertAttributes(alert)).toEqual({ alertId: alert.alertId, jobId: 'an-1', kind: 'closed', defectType: 'black' });
  });
});

describe('assertValidAlert', () => {
  const good = toAlert('an-1', 'opened', event);
  it.each<[string, Partial<DefectAlert>]>([
    ['an empty id', { alertId: '' }],
    ['an unknown kind', { kind: 'maybe' as never }],
    ['an empty job id', { jobId: '' }],
    ['a non-finite start', { event: { ...event, startSec: Number.POSITIVE_INFINITY } }],
    ['a bad time', { at: 'yesterday' }],
  ])('rejects %s with USAGE', (_label, patch) => {
    expect(() => assertValidAlert({ ...good, ...patch })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('accepts a well-formed alert', () => {
    expect(() => assertValidAlert(good)).not.toThrow();
  });
});
