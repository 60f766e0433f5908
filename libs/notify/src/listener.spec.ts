import { createNotifyingListener } from './listener';
import { NotifyUnavailableError } from './errors';
import type { DefectAlert, Notifier } from './notifier';
import { memoryLogger } from './spec-helpers';
import { sampleDefectEvent } from './testing';

/** A notifier whose publishes stay pending until the test releases them. */
function gatedNotifier(): Notifier & { started: DefectAlert[]; done: DefectAlert[]; release(jobId?: string): void; failWith?: Error } {
  const pending: Array<{ alert: DefectAlert; resolve: () => void }> = [];
  const self = {
    started: [] as DefectAlert[],
    done: [] as DefectAlert[],
    failWith: undefined as Error | undefined,
    publish(alert: DefectAlert) {
      self.started.push(alert);
      return new Promise<void>((resolve, reject) => {
        pending.push({
          alert,
          resolve: () => {
            if (self.failWith) return reject(self.failWith);
            self.done.push(alert);
            resolve();
          },
        });
      });
    },
    release(jobId?: string) {
      for (let i = 0; i < pending.length; i++) {
        if (jobId === undefined || pending[i].alert.jobId === jobId) {
          pending.splice(i, 1)[0].resolve();
          return;
        }
      }
    },
    close: () => Promise.resolve(),
  };
  return self;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const at = new Date('2030-01-01T00:00:00Z');

describe('createNotifyingListener', () => {
  it('returns from callbacks at once and publishes one job\'s alerts one after another, in order', async () => {
    const notifier = gatedNotifier();
    const listener = createNotifyingListener(notifier, memoryLogger().logger, { now: () => at });
    const e1 = sampleDefectEvent({ startSec: 1 });
    const e2 = sampleDefectEvent({ startSec: 2, type: 'silence' });
    listener.onDefectOpened?.('an-a', e1);
    listener.onDefectOpened?.('an-a', e2);
    listener.onDefectClosed?.('an-a', e1);
    await tick();
    expect(notifier.started).toHaveLength(1); // the second waits for the first
    for (let i = 0; i < 3; i++) {
      notifier.release();
      await tick();
    }
    await listener.flush();
    expect(notifier.done.map((a) => [a.kind, a.event.startSec])).toEqual([
      ['opened', 1],
      ['opened', 2],
      ['closed', 1],
    ]);
    expect(notifier.done[0].at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('does not hold one job behind another job\'s slow publish', async () => {
    const notifier = gatedNotifier();
    const listener = createNotifyingListener(notifier, memoryLogger().logger);
    listener.onDefectOpened?.('an-slow', sampleDefectEvent());
    listener.onDefectOpened?.('an-fast', sampleDefectEvent());
    await tick();
    expect(notifier.started.map((a) => a.jobId)).toEqual(['an-slow', 'an-fast']);
    notifier.release('an-fast');
    await tick();
    expect(notifier.done.map((a) => a.jobId)).toEqual(['an-fast']);
    notifier.release('an-slow');
    await listener.flush();
  });

  it('logs a failed publish instead of throwing, and keeps publishing the job\'s next alerts', async () => {
    const log = memoryLogger();
    const calls: DefectAlert[] = [];
    let fail = true;
    const notifier: Notifier = {
      async publish(alert) {
        calls.push(alert);
        if (fail) {
          fail = false;
          throw new NotifyUnavailableError('topic unreachable');
        }
      },
      close: () => Promise.resolve(),
    };
    const listener = createNotifyingListener(notifier, log.logger);
    expect(() => listener.onDefectOpened?.('an-f', sampleDefectEvent())).not.toThrow();
    listener.onDefectClosed?.('an-f', sampleDefectEvent());
    await listener.flush();
    expect(calls.map((a) => a.kind)).toEqual(['opened', 'closed']);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'could not publish a defect alert', jobId: 'an-f', kind: 'opened' })]);
  });

  it('flush waits for alerts raised while earlier ones were in flight', async () => {
    const notifier = gatedNotifier();
    const listener = createNotifyingListener(notifier, memoryLogger().logger);
    listener.onDefectOpened?.('an-x', sampleDefectEvent());
    let flushed = false;
    const flushing = listener.flush().then(() => (flushed = true));
    listener.onDefectClosed?.('an-x', sampleDefectEvent());
    await tick();
    notifier.release();
    await tick();
    expect(flushed).toBe(false);
    notifier.release();
    await flushing;
    expect(notifier.done).toHaveLength(2);
  });
});
