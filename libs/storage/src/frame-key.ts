/**
 * The frame handoff key rules every FrameHandoff adapter shares (local files now, S3 later), so
 * that a key valid for one is valid for the other and can never escape its directory or bucket
 * prefix.
 */
import { UsageError } from '@framewatch/errors';

/**
 * Allowed frame handoff keys: a letter or digit, then up to 255 letters, digits, `.`, `_`, `/`
 * or `-`. On top of the pattern, every `/`-separated segment is non-empty, does not start with a
 * dot (which rules out `..`, `.`, `a//b`, a trailing `/` and hidden names) and is at most
 * {@link FRAME_KEY_MAX_SEGMENT} characters, so that it fits a file name on every common file system.
 */
export const FRAME_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,255}$/;

/** The longest `/`-separated segment of a frame key (file systems allow 255 bytes per name). */
export const FRAME_KEY_MAX_SEGMENT = 250;

/**
 * Throws `USAGE` unless `key` is a valid frame handoff key (see {@link FRAME_KEY_PATTERN}).
 *
 * @example
 * assertFrameKey('an-42/video/000017.fwf'); // ok
 * assertFrameKey('an-42/../secrets');       // throws UsageError
 */
export function assertFrameKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !FRAME_KEY_PATTERN.test(key) || key.includes('..') || key.split('/').some((s) => s === '' || s.startsWith('.') || s.length > FRAME_KEY_MAX_SEGMENT)) {
    throw new UsageError(`invalid frame key ${JSON.stringify(typeof key === 'string' ? key.slice(0, 300) : key)}: it must match ${FRAME_KEY_PATTERN}, with non-empty segments of at most ${FRAME_KEY_MAX_SEGMENT} characters that do not start with "."`);
  }
}
