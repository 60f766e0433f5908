import { performance } from 'node:perf_hooks';
import { CancelledError, InputError } from '@framewatch/errors';
import { LiveTsQueue } from './live-queue';
import type { LiveEvent } from './live-queue';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function queue(options: { stallMs?: number; capBytes?: number } = {}): { q: LiveTsQueue; events: LiveEvent[] } {
  const events: LiveEvent[] = [];
  const q = new LiveTsQueue({ stallMs: options.stallMs ?? 1000, capBytes: options.capBytes ?? 1024, onEvent: (e) => events.push(e) });
  return { q, events };
}

describe('LiveTsQueue', () => {
  it('hands every byte to the decoder in order, the probed head included', async () => {
    const { q } = queue();
    q.push(Buffer.from('ab'));
    q.push(Buffer.from('cd'));
    expect(q.head().toString()).toBe('abcd');
    q.push(Buffer.from('e'));
    expect((await q.take())?.toString()).toBe('abcde');
    const next = q.take();
    q.push(Buffer.from('f'));
    expect((await next)?.toString()).toBe('f');
    q.close();
    expect(await q.take()).toBeNull();
  });

  it('reports one stall after the stall time without bytes, and its end with how long it lasted', async () => {
    const { q, events } = queue({ stallMs: 300 });
    q.push(Buffer.from('x'));
    await sleep(150);
    q.push(Buffer.from('x')); // not a stall yet: the timer re-arms for the time left
    const lastAt = performance.now();
    await sleep(200);
    // 350 ms after the first byte, 200 ms after the last: no stall.
    expect(events).toEqual([]);
    while (events.length === 0 && performance.now() - lastAt < 3000) await sleep(20);
    expect(performance.now() - lastAt).toBeGreaterThanOrEqual(299);
    expect(events).toEqual([{ type: 'stalled', sinceMs: expect.any(Number) }]);
    expect(q.stalledSinceMs).not.toBeNull();
    await sleep(100);
    expect(events).toHaveLength(1);
    q.push(Buffer.from('y'));
    expect(events[1]).toMatchObject({ type: 'resumed' });
    expect((events[1] as { stalledForMs: number }).stalledForMs).toBeGreaterThanOrEqual(400);
    q.close();
  });

  it('drops bytes beyond its cap instead of growing, and says how many once there is room again', async () => {
    const { q, events } = queue({ capBytes: 10 });
    q.push(Buffer.alloc(8));
    q.push(Buffer.alloc(4)); // over the cap: dropped
    q.push(Buffer.alloc(4));
    expect(q.size).toBe(8);
    expect(events).toEqual([]);
    await q.take();
    q.push(Buffer.alloc(2));
    expect(events).toEqual([{ type: 'overflow', droppedBytes: 8 }]);
    expect(q.size).toBe(2);
    q.close();
  });

  it('fails takes and waits with the source error, and waits end on abort or time-out', async () => {
    const { q } = queue();
    const controller = new AbortController();
    const waiting = q.waitUntil(() => false, 10_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    const started = Date.now();
    expect(await q.waitUntil(() => q.size > 0, 50)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const take = q.take();
    q.fail(new InputError('INPUT_NOT_FOUND', 'gone'));
    await expect(take).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });

  it('turns a listener that throws into a failure of the source, never an uncaught exception', async () => {
    const q = new LiveTsQueue({
      stallMs: 20,
      capBytes: 100,
      onEvent: () => {
        throw new Error('listener broke');
      },
    });
    q.push(Buffer.from('x'));
    // The stall event's listener throws: the wait ends with that failure, not a time-out.
    await expect(q.waitUntil(() => false, 3000)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(q.take()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
