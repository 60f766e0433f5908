import { UsageError } from '@framewatch/errors';
import { defineContract, methodSpec } from './contract';
import { bindInProcess } from './in-process';
import { echoContract, grayBatch, makeEcho } from './spec-helpers';

describe('defineContract', () => {
  it('refuses names that are not URL-safe or are reserved by the client', () => {
    expect(() => defineContract<{ a(): Promise<void> }>('bad/name', { a: { idempotent: true, request: 'void', response: 'void' } })).toThrow(UsageError);
    expect(() => defineContract<{ close(): Promise<void> }>('c', { close: { idempotent: true, request: 'void', response: 'void' } })).toThrow(UsageError);
    expect(() => defineContract<{ stats(): Promise<void> }>('c', { stats: { idempotent: true, request: 'void', response: 'void' } })).toThrow(UsageError);
  });

  it('refuses an unknown wire codec', () => {
    expect(() =>
      defineContract<{ a(): Promise<void> }>('c', { a: { idempotent: true, request: 'xml' as 'json', response: 'void' } }),
    ).toThrow(UsageError);
  });

  it('finds own methods only, not inherited object properties', () => {
    expect(methodSpec(echoContract, 'bump')).toEqual({ idempotent: false, request: 'json', response: 'json' });
    expect(methodSpec(echoContract, 'toString')).toBeUndefined();
    expect(methodSpec(echoContract, '__proto__')).toBeUndefined();
  });
});

describe('bindInProcess', () => {
  it('passes frames by reference: the callee gets the very batch and planes', async () => {
    const impl = makeEcho();
    const bound = bindInProcess(impl);
    const batch = grayBatch(2);
    await bound.detect(batch);
    expect(impl.received[0]).toBe(batch);
    expect(impl.received[0].video[1].planes[0]).toBe(batch.video[1].planes[0]);
  });
});
