/**
 * Parsing of `POST /v1/analyses` JSON bodies. Strict: every field is checked, unknown fields are
 * refused, and a URL source gets a cheap scheme check here before the injected input rules
 * (DNS, private addresses, listening sources) run, so hostile values (RELIABILITY S1) never reach
 * a store or ffmpeg.
 */
import { SourceRejectedError, UsageError } from '@framewatch/errors';
import type { JobSource } from '@framewatch/storage';

/** A checked JSON submission. */
export interface Submission {
  source: Pick<JobSource, 'url' | 's3'>;
  detectors?: string[];
}

/** Longest URL accepted; longer ones are refused rather than stored or logged. */
export const MAX_URL_LENGTH = 2048;
/** Most detectors one submission may name. */
export const MAX_DETECTORS = 32;

const DETECTOR_NAME = /^[a-z][a-z0-9-]{0,31}$/;
// S3 bucket naming rules (lower case, digits, dots, hyphens; 3–63 characters).
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_S3_KEY_LENGTH = 1024;
// Control characters and whitespace: nothing legitimate in a URL needs them unescaped.
// eslint-disable-next-line no-control-regex
const UNSAFE_URL_CHARS = /[\u0000-\u0020\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const URL_SCHEMES = /^(https?|srt|udp):\/\//i;
const SCHEMES_TEXT = 'an http://, https://, srt:// or udp:// URL';

/**
 * The cheap, synchronous part of the input rules for a remote caller's URL: only `http(s)://`,
 * `srt://` and `udp://` URLs without credentials or control characters. Everything ffmpeg would
 * read as a protocol or a local path (`file:`, `/etc/passwd`, `concat:`, `subfile,,`, `data:`,
 * `pipe:0`, `-option`) is refused here. The injected input rules then decide the rest: where an
 * http(s) or srt host may be, which SRT options pass, and whether `udp://` (a port the worker
 * would listen on) is allowed at all — by default it is not (`FRAMEWATCH_ALLOW_UDP_SOURCES`).
 *
 * @returns the parsed URL, or null for a `udp://` source (`udp://@:5004` names a local port,
 *   not a host, and is no WHATWG URL).
 * @throws SourceRejectedError (`SOURCE_REJECTED`) naming why.
 */
export function checkSourceUrl(url: string): URL | null {
  if (url.length === 0) throw new SourceRejectedError('source.url is empty');
  if (url.length > MAX_URL_LENGTH) throw new SourceRejectedError(`source.url is longer than ${MAX_URL_LENGTH} characters`);
  if (url.startsWith('-')) throw new SourceRejectedError('source.url starts with "-" and would be read as an option');
  if (UNSAFE_URL_CHARS.test(url)) throw new SourceRejectedError('source.url contains whitespace or control characters');
  const scheme = URL_SCHEMES.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new SourceRejectedError(`source.url must be ${SCHEMES_TEXT}`);
  if (scheme === 'udp') return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SourceRejectedError('source.url is not a valid URL');
  }
  if (parsed.protocol !== `${scheme}:`) throw new SourceRejectedError(`source.url must be ${SCHEMES_TEXT}`);
  if (parsed.hostname === '') throw new SourceRejectedError('source.url has no host');
  if (parsed.username !== '' || parsed.password !== '') throw new SourceRejectedError('source.url must not carry credentials');
  return parsed;
}

/**
 * Checks a parsed JSON body against the submission schema.
 *
 * The source is checked first so that a hostile source is reported as `SOURCE_REJECTED` even
 * when other fields are wrong too.
 *
 * @throws SourceRejectedError for a refused URL; UsageError (`USAGE`) for any other shape error.
 */
export function parseSubmission(body: unknown, knownDetectors?: readonly string[]): Submission {
  if (!isPlainObject(body)) throw new UsageError('the request body must be a JSON object');
  const source = parseSource(body.source);
  for (const key of Object.keys(body)) {
    if (key !== 'source' && key !== 'detectors') throw new UsageError(`unknown field ${JSON.stringify(key.slice(0, 64))}`);
  }
  if (body.detectors === undefined) return { source };
  return { source, detectors: parseDetectors(body.detectors, knownDetectors) };
}

function parseSource(value: unknown): Submission['source'] {
  if (!isPlainObject(value)) throw new UsageError('source must be an object with either "url" or "s3"');
  const keys = Object.keys(value);
  // A hostile URL is refused before anything else about the body is looked at.
  if (typeof value.url === 'string') checkSourceUrl(value.url);
  if (keys.length !== 1 || (keys[0] !== 'url' && keys[0] !== 's3')) {
    throw new UsageError('source must have exactly one of "url" or "s3"');
  }
  if (keys[0] === 'url') {
    if (typeof value.url !== 'string') throw new UsageError('source.url must be a string');
    return { url: value.url };
  }
  const s3 = value.s3;
  if (!isPlainObject(s3)) throw new UsageError('source.s3 must be an object with "bucket" and "key"');
  for (const key of Object.keys(s3)) {
    if (key !== 'bucket' && key !== 'key') throw new UsageError(`unknown field source.s3.${key.slice(0, 64)}`);
  }
  if (typeof s3.bucket !== 'string' || !S3_BUCKET.test(s3.bucket)) throw new UsageError('source.s3.bucket is not a valid bucket name');
  if (typeof s3.key !== 'string' || s3.key.length === 0 || s3.key.length > MAX_S3_KEY_LENGTH || CONTROL_CHARS.test(s3.key)) {
    throw new UsageError(`source.s3.key must be 1–${MAX_S3_KEY_LENGTH} characters without control characters`);
  }
  return { s3: { bucket: s3.bucket, key: s3.key } };
}

function parseDetectors(value: unknown, known?: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_DETECTORS) {
    throw new UsageError(`detectors must be a non-empty array of at most ${MAX_DETECTORS} names`);
  }
  const seen = new Set<string>();
  for (const name of value) {
    if (typeof name !== 'string' || !DETECTOR_NAME.test(name)) throw new UsageError('detectors must be lower-case names like "black"');
    if (known !== undefined && !known.includes(name)) throw new UsageError(`unknown detector "${name}"; known: ${known.join(', ')}`);
    if (seen.has(name)) throw new UsageError(`detector "${name}" is listed twice`);
    seen.add(name);
  }
  return [...seen];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
