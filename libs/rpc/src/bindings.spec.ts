import { FramewatchError, InputError } from '@framewatch/errors';
import { detectionBatch, echoContract, grayBatch, makeEcho } from './spec-helpers';
import { describeBindings } from './testing';

describeBindings('Echo component', echoContract, makeEcho, (get) => {
  it('returns a JSON result of a method without arguments', async () => {
    await expect(get().client.describe()).resolves.toEqual({ n: expect.any(Number) });
  });

  it('passes JSON arguments and returns a JSON result', async () => {
    const before = (await get().client.describe()).n;
    await expect(get().client.bump(5)).resolves.toBe(before + 5);
    await expect(get().client.bump(-2)).resolves.toBe(before + 3);
  });

  it('carries a FrameBatch in and a DetectionBatch out, bytes intact', async () => {
    const batch = grayBatch(3);
    const answer = await get().client.detect(batch);
    expect(answer.streamId).toBe('an-test');
    expect(answer.seq).toBe(3);
    expect(answer.scores.map((s) => s.scores['luma'])).toEqual([40 / 255, 80 / 255, 120 / 255].map((v) => expect.closeTo(v, 6)));
    const received = get().impl.received.at(-1);
    expect(received?.audio[0].samples).toEqual(batch.audio[0].samples);
    expect(received?.video[2].planes[0]).toEqual(batch.video[2].planes[0]);
  });

  it('carries a DetectionBatch to a void method', async () => {
    const batch = detectionBatch();
    await expect(get().client.push(batch)).resolves.toBeUndefined();
    expect(get().impl.pushed.at(-1)).toEqual(batch);
  });

  it('rebuilds an application error with its class, code, message and detail', async () => {
    const err = await get().client.fail('input').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ name: 'InputError', code: 'INPUT_TRUNCATED', message: 'clip.mp4 ends early', detail: { atSec: 3.5 } });
  });

  it('keeps the code of an error class the caller does not know', async () => {
    const err = await get().client.fail('weird').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FramewatchError);
    expect(err).toMatchObject({ code: 'CONFLICT', message: 'lost a race', detail: { version: 7 } });
  });

  it('runs an application error once, without retrying, even for an idempotent method', async () => {
    const before = get().impl.calls.fail;
    await expect(get().client.fail('unavailable')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(get().impl.calls.fail).toBe(before + 1);
  });
});
