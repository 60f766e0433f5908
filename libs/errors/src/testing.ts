/**
 * Test support (`@framewatch/errors/testing`, for spec files only): awaiting an operation that
 * must fail with a FramewatchError.
 */
import { FramewatchError } from './errors';

/**
 * Awaits `promise`, expects it to reject with a FramewatchError and returns that error, so a
 * test can assert its code and message; fails the test when the promise resolves.
 *
 * @example
 * expect((await failureOf(store.get('nope'))).code).toBe('NOT_FOUND');
 */
export async function failureOf(promise: Promise<unknown>): Promise<FramewatchError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return err as FramewatchError;
  }
  throw new Error('expected the operation to fail');
}
