/**
 * Value checks shared by the encoders and the decoders. Both sides apply the same rules so that
 * an encoder refuses exactly what a decoder would reject: a bad batch fails at its sender, where
 * the bug is, rather than at the receiver.
 */
import { CodecError } from '@framewatch/errors';

/**
 * The prefix of every error message of one encode or decode call, e.g.
 * `cannot decode FrameBatch`. Messages read `<context>: <what went wrong>`.
 */
export type CheckContext = string;

/** Throws a {@link CodecError} whose message is `<context>: <problem>`. */
export function fail(ctx: CheckContext, problem: string): never {
  throw new CodecError(`${ctx}: ${problem}`);
}

/** Checks that a number is finite (not NaN, not ±Infinity). */
export function expectFinite(ctx: CheckContext, value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(ctx, `${what} is ${describe(value)}; it must be a finite number`);
  }
}

/** Checks that a number is finite and not negative. */
export function expectNonNegative(ctx: CheckContext, value: number, what: string): void {
  expectFinite(ctx, value, what);
  if (value < 0) fail(ctx, `${what} is ${value}; it must not be negative`);
}

/** Checks that a score lies in [0, 1]. */
export function expectUnitInterval(ctx: CheckContext, value: number, what: string): void {
  expectFinite(ctx, value, what);
  if (value < 0 || value > 1) fail(ctx, `${what} is ${value}, outside [0, 1]`);
}

/** Checks that a number is an integer in `[min, max]`. */
export function expectIntInRange(ctx: CheckContext, value: number, min: number, max: number, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(ctx, `${what} is ${describe(value)}; it must be an integer in [${min}, ${max}]`);
  }
}

/** Checks that a number is a non-negative safe integer (what the wire's u64 fields may hold). */
export function expectSafeUint(ctx: CheckContext, value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(ctx, `${what} is ${describe(value)}; it must be a non-negative safe integer`);
  }
}

/** Checks that a count of items does not exceed its cap. */
export function expectCount(ctx: CheckContext, count: number, max: number, what: string): void {
  if (count > max) fail(ctx, `${what} count ${count} exceeds the limit of ${max}`);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  return `a ${typeof value}`;
}
