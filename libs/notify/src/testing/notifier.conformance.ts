/**
 * The one test suite every Notifier adapter runs (DESIGN.md: "Every port has one conformance test
 * suite that runs against every adapter"). Call it from an adapter's spec file.
 */
import { FramewatchError } from '@framewatch/errors';
import type { DefectEvent } from '@framewatch/pipeline';
import { ALERT_ID_PATTERN, alertAttributes, alertIdFor, toAlert } from '../alert';
import type { AlertAttributes } from '../alert';
import type { DefectAlert, Notifier } from '../notifier';

/** One alert as a consumer received it: the parsed body and the transport attributes (SNS MessageAttributes, webhook headers). */
export interface ReceivedAlert {
  alert: DefectAlert;
  attributes: Partial<AlertAttributes>;
}

/** A factory for a fresh notifier whose destination has received nothing yet; called before every test. */
export type MakeNotifier = () => Notifier | Promise<Notifier>;

/**
 * Resolves with every alert delivered since the last `make`, in arrival order, as soon as there
 * are at least `count`; rejects if they do not arrive within a few seconds.
 */
export type ReceiveAlerts = (count: number) => Promise<ReceivedAlert[]>;

/** Adapter-specific hooks for what the port alone cannot provoke. */
export interface NotifierConformanceHooks {
  /**
   * Arranges for the destination to accept the next publish but lose its acknowledgement (the
   * response is dropped), so that the adapter, or its SDK, retries. Without it the lost-ack
   * test is not registered.
   */
  loseNextAck?(): void | Promise<void>;
}

/** A defect event for tests; `overrides` are merged in. */
export function sampleDefectEvent(overrides: Partial<DefectEvent> = {}): DefectEvent {
  return { type: 'black', startSec: 5, endSec: 7, confidence: 0.99, detail: { meanLuma: 3 }, ...overrides };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return (err as FramewatchError).code;
  }
  throw new Error('expected the call to fail');
}

const at = new Date('2030-01-02T03:04:05.000Z');

/**
 * Registers the Notifier conformance suite as a Jest `describe` block named `name`: bodies and
 * attributes, order, deterministic ids, ids kept across caller and adapter retries (RELIABILITY
 * R9), validation, and concurrent publishes.
 *
 * @example
 * describeNotifierConformance('webhook', () => { receiver.reset(); return createLogNotifier({ logger, webhookUrl: receiver.url }); },
 *   async (n) => (await receiver.waitFor(n)).map(({ alert, attributes }) => ({ alert, attributes })),
 *   { loseNextAck: () => receiver.loseNextAcks(1) });
 */
export function describeNotifierConformance(name: string, make: MakeNotifier, receive: ReceiveAlerts, hooks: NotifierConformanceHooks = {}): void {
  describe(`Notifier conformance: ${name}`, () => {
    let notifier: Notifier;
    beforeEach(async () => {
      notifier = await make();
    });
    afterEach(async () => {
      await notifier.close();
    });

    it('delivers an alert as its JSON body with alertId, jobId, kind and defectType attributes', async () => {
      const alert = toAlert('an-conf-1', 'opened', sampleDefectEvent({ type: 'freeze', detail: { note: 'ünïcode ✓' } }), at);
      await notifier.publish(alert);
      const [got] = await receive(1);
      expect(got.alert).toEqual(alert);
      expect(got.attributes).toEqual({ alertId: alert.alertId, jobId: 'an-conf-1', kind: 'opened', defectType: 'freeze' });
      expect(got.attributes).toEqual(alertAttributes(alert));
    });

    it("delivers one job's alerts in the order they were published", async () => {
      const alerts: DefectAlert[] = [];
      for (let i = 0; i < 6; i++) {
        const event = sampleDefectEvent({ type: i % 2 === 0 ? 'black' : 'silence', startSec: i * 10, endSec: i * 10 + 2 });
        alerts.push(toAlert('an-conf-order', 'opened', event, at), toAlert('an-conf-order', 'closed', event, at));
      }
      for (const alert of alerts) await notifier.publish(alert);
      const got = await receive(alerts.length);
      expect(got.map((r) => r.alert.alertId)).toEqual(alerts.map((a) => a.alertId));
      expect(new Set(got.map((r) => r.alert.alertId)).size).toBe(alerts.length);
    });

    it('keeps an id per transition: a re-sent "opened" of a growing defect and a caller retry carry the same alertId', async () => {
      const first = toAlert('an-conf-ids', 'opened', sampleDefectEvent({ endSec: 5.04 }), at);
      const grown = toAlert('an-conf-ids', 'opened', sampleDefectEvent({ endSec: 9.5 }), new Date(at.getTime() + 4000));
      const closed = toAlert('an-conf-ids', 'closed', sampleDefectEvent({ endSec: 9.5 }), at);
      await notifier.publish(first);
      await notifier.publish(grown);
      await notifier.publish(closed);
      await notifier.publish(closed); // the caller retries a publish it thinks failed
      const ids = (await receive(4)).map((r) => r.alert.alertId);
      expect(ids).toEqual([first.alertId, first.alertId, closed.alertId, closed.alertId]);
      expect(first.alertId).not.toBe(closed.alertId);
      expect(first.alertId).toMatch(ALERT_ID_PATTERN);
      expect(first.alertId).toBe(alertIdFor('an-conf-ids', 'opened', { type: 'black', startSec: 5 }));
    });

    if (hooks.loseNextAck !== undefined) {
      const loseNextAck = hooks.loseNextAck;
      it('delivers the same alertId twice when an acknowledgement is lost and the publish is retried (R9)', async () => {
        const alert = toAlert('an-conf-lost-ack', 'closed', sampleDefectEvent({ type: 'clipping' }), at);
        await loseNextAck();
        await notifier.publish(alert);
        const sentinel = toAlert('an-conf-lost-ack', 'opened', sampleDefectEvent({ type: 'clipping', startSec: 60 }), at);
        await notifier.publish(sentinel);
        const got = await receive(3);
        expect(got.map((r) => r.alert.alertId)).toEqual([alert.alertId, alert.alertId, sentinel.alertId]);
        expect(got[1].alert).toEqual(got[0].alert);
        expect(got[1].attributes).toEqual(got[0].attributes);
      });
    }

    it('rejects a malformed alert with USAGE and delivers nothing of it', async () => {
      const good = toAlert('an-conf-bad', 'opened', sampleDefectEvent(), at);
      expect(await codeOf(notifier.publish({ ...good, kind: 'bogus' as DefectAlert['kind'] }))).toBe('USAGE');
      expect(await codeOf(notifier.publish({ ...good, alertId: '' }))).toBe('USAGE');
      expect(await codeOf(notifier.publish({ ...good, event: { ...good.event, startSec: Number.NaN } }))).toBe('USAGE');
      await notifier.publish(good);
      const got = await receive(1);
      expect(got.map((r) => r.alert)).toEqual([good]);
    });

    it('delivers every alert of concurrent publishes from many jobs', async () => {
      const alerts = Array.from({ length: 20 }, (_, i) => toAlert(`an-conf-many-${i % 5}`, i % 2 === 0 ? 'opened' : 'closed', sampleDefectEvent({ startSec: i }), at));
      await Promise.all(alerts.map((a) => notifier.publish(a)));
      const got = await receive(alerts.length);
      expect(got.map((r) => r.alert.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
    });
  });
}
