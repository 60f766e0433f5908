/**
 * Exact media-time arithmetic for the decode timeline.
 *
 * Video frames come out of ffmpeg on a constant-frame-rate timeline, so frame `i` starts at
 * `i / fps`. Audio is cut into chunks that line up with those frames: chunk `j` covers the samples
 * `[ceil(j·R/fps), ceil((j+1)·R/fps))`. Using the ceiling (not the floor, not a rounded float)
 * guarantees that chunk `j`'s pts is never earlier than frame `j`'s pts and always earlier than
 * frame `j+1`'s, so "the chunks whose pts lies in the batch's time range" and "the chunks with the
 * batch's frame indices" are the same set, with no float drift over hours of media.
 */

/** A positive rational number, e.g. a frame rate of `30000/1001`. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

/** The chunk rate used for audio when the source has no video: 25 chunks of 40 ms per second. */
export const AUDIO_ONLY_UNIT_RATE: Rational = { num: 25, den: 1 } as const;

/**
 * Parses an ffprobe rate such as `"25/1"` or `"30000/1001"`; returns null for `0/0`, garbage or
 * values outside (0, 1000] fps, which ffprobe reports for streams without a meaningful rate.
 */
export function parseRational(text: string | undefined): Rational | null {
  if (text === undefined) return null;
  const match = /^(\d{1,9})(?:\/(\d{1,9}))?$/.exec(text.trim());
  if (!match) return null;
  const num = Number(match[1]);
  const den = match[2] === undefined ? 1 : Number(match[2]);
  if (num <= 0 || den <= 0 || num / den > 1000) return null;
  return { num, den };
}

/** `ceil(a / b)` for non-negative integers, exact up to 2^53 (no float rounding at boundaries). */
function ceilDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  let r = a - q * b;
  // The float division may be off by one near an integer boundary; the remainder corrects it.
  if (r < 0) {
    q -= 1;
    r += b;
  } else if (r >= b) {
    q += 1;
    r -= b;
  }
  return r > 0 ? q + 1 : q;
}

/** First sample (per channel) of audio chunk `index` at `sampleRate`, for units at `unitRate`. */
export function unitStartSample(index: number, sampleRate: number, unitRate: Rational): number {
  return ceilDiv(index * sampleRate * unitRate.den, unitRate.num);
}

/** Start time in seconds of unit (frame or chunk slot) `index` at `unitRate`. */
export function unitTime(index: number, unitRate: Rational): number {
  return (index * unitRate.den) / unitRate.num;
}

/** The rate as a number of units per second. */
export function rationalValue(rate: Rational): number {
  return rate.num / rate.den;
}

/** The rate as ffmpeg wants it on the command line (`30000/1001`). */
export function formatRational(rate: Rational): string {
  return `${rate.num}/${rate.den}`;
}
