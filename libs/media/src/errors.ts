/**
 * Turning ffmpeg/ffprobe failures into the stable codes of `@framewatch/errors`, with one-line,
 * user-facing messages. The raw stderr (redacted of URL queries) is kept as the error's `cause`
 * for logs; it never becomes the message, so no banner, path of another tenant or token leaks.
 *
 * The patterns were taken from ffmpeg 5.1's own messages for each failure kind.
 */
import { FramewatchError, InputError, SourceRejectedError, SourceTimeoutError } from '@framewatch/errors';
import type { ErrorCode } from '@framewatch/errors';

// `[h264 @ 0x55d…] [error] …` or `[error] …`: a line of a log printed with levels.
const ERROR_LEVEL_LINE = /^((?:\[[^\]]* @ 0x[0-9a-f]+\] )?)\[(?:error|fatal|panic)\] /;

/**
 * For a log printed with levels (`-loglevel level+info`): the line as `-loglevel error` prints it,
 * which is what the rules below were written for, or null for a line below the error level (one
 * of them, at `info`, names the input with its whole URL).
 *
 * @example
 * errorLevelLine('[h264 @ 0x55d0] [error] no frame!'); // '[h264 @ 0x55d0] no frame!'
 * errorLevelLine("[info] Input #0, mpegts, from 'https://cdn.example/live.ts?token=…':"); // null
 */
export function errorLevelLine(line: string): string | null {
  const match = ERROR_LEVEL_LINE.exec(line);
  return match ? match[1] + line.slice(match[0].length) : null;
}

/** Where a failure happened: opening and probing the input, or decoding it. */
export type FailurePhase = 'probe' | 'decode';

interface Rule {
  code: ErrorCode;
  pattern: RegExp;
  message: (display: string, match: RegExpExecArray) => string;
  /** Restricts the rule to one phase. */
  phase?: FailurePhase;
}

/**
 * Ordered: the first matching rule wins, so specific causes (a whitelist refusal, a timeout, a
 * missing decoder) come before the generic "Invalid data" that ffmpeg appends to many of them.
 */
const rules: readonly Rule[] = [
  {
    code: 'SOURCE_REJECTED',
    pattern: /Protocol '([^']*)' not on whitelist/,
    message: (d, m) => `${d} refers to a "${m[1]}" resource, which is not allowed`,
  },
  {
    code: 'INPUT_UNSUPPORTED',
    pattern: /Format not on whitelist/,
    message: (d) => `${d} uses a container format that is not supported`,
  },
  {
    code: 'SOURCE_TIMEOUT',
    pattern: /Connection timed out|Operation timed out|timed out/i,
    message: (d) => `${d} stopped sending data within the I/O timeout`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /Server returned (404|410)/,
    message: (d, m) => `${d} was not found (HTTP ${m[1]})`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /Server returned (\d{3}|4XX|5XX)/,
    message: (d, m) => `${d} could not be read (HTTP ${m[1]})`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /Peer certificate|certificate verification|\[tls @|TLS handshake/i,
    message: (d) => `${d} could not be read: its TLS certificate failed verification`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /(Connection refused|Connection reset by peer|Network is unreachable|No route to host|Failed to resolve hostname)/,
    message: (d, m) => `${d} could not be read (${m[1].toLowerCase()})`,
  },
  {
    // libsrt's caller: nobody answered, or the listener refused (wrong stream id or passphrase).
    code: 'INPUT_NOT_FOUND',
    pattern: /Connection to \S+ failed/,
    message: (d) => `${d} could not be read (the SRT connection failed)`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /No such file or directory/,
    message: (d) => `${d} does not exist`,
  },
  {
    code: 'INPUT_NOT_FOUND',
    pattern: /Permission denied/,
    message: (d) => `${d} cannot be read (permission denied)`,
  },
  {
    code: 'INPUT_UNSUPPORTED',
    pattern: /Decoder \(codec ([^)]+)\) not found|Unsupported codec with id \d+|Unknown decoder '([^']+)'/,
    message: (d, m) => `${d} uses a codec this ffmpeg cannot decode${m[1] ? ` (${m[1]})` : ''}`,
  },
  {
    // A text file named .mp4 is tried as mp4 because of its extension; ffprobe warns that the
    // detection score was low. A real mp4 cut short is detected with full confidence.
    code: 'INPUT_NOT_MEDIA',
    pattern: /misdetection possible[\s\S]*moov atom not found|moov atom not found[\s\S]*misdetection possible/,
    message: (d) => `${d} is not a media file`,
    phase: 'probe',
  },
  {
    code: 'INPUT_TRUNCATED',
    pattern: /moov atom not found/,
    message: (d) => `${d} is truncated: the mp4 index (moov atom) is missing`,
  },
  {
    code: 'INPUT_NOT_MEDIA',
    pattern: /Invalid data found when processing input/,
    message: (d) => `${d} is not a media file`,
    phase: 'probe',
  },
  {
    code: 'INPUT_TRUNCATED',
    pattern: /partial file|File ended prematurely|Cannot determine format of input stream|no frame!|End of file/,
    message: (d) => `${d} ends before any complete frame`,
  },
];

/**
 * Classifies an ffmpeg/ffprobe failure from its stderr.
 *
 * | stderr says | code |
 * |---|---|
 * | `Protocol 'x' not on whitelist` | SOURCE_REJECTED |
 * | `Format not on whitelist` | INPUT_UNSUPPORTED |
 * | `Connection timed out` (`-rw_timeout`) | SOURCE_TIMEOUT |
 * | `Server returned 4xx/5xx`, refused, reset, TLS failure, SRT connection failed, no such file, permission denied | INPUT_NOT_FOUND |
 * | `Decoder (codec x) not found` | INPUT_UNSUPPORTED |
 * | `moov atom not found` with a low-score detection warning (probe) | INPUT_NOT_MEDIA |
 * | `moov atom not found` | INPUT_TRUNCATED |
 * | `Invalid data found when processing input` (probe) | INPUT_NOT_MEDIA |
 * | `partial file`, `File ended prematurely`, … | INPUT_TRUNCATED |
 * | anything else | `fallback` (DECODE_FAILED unless given) |
 *
 * @example
 * const source = { display: 'x.mp4', ffmpegInput: 'file:/data/x.mp4' };
 * classifyFfmpegFailure('file:/data/x.mp4: Invalid data found when processing input', source, 'probe').code;
 * // 'INPUT_NOT_MEDIA'
 */
export function classifyFfmpegFailure(
  stderr: string,
  source: { display: string; ffmpegInput: string },
  phase: FailurePhase,
  fallback: ErrorCode = 'DECODE_FAILED',
): FramewatchError {
  const { display } = source;
  // ffmpeg quotes the input in its messages; a file named "moov atom not found.mp4" must not
  // steer the classification, and a URL's query must not reach the logs.
  const text = stderr.split(source.ffmpegInput).join('<input>');
  const cause = new Error(lastLines(redactUrls(text), 12));
  for (const rule of rules) {
    if (rule.phase !== undefined && rule.phase !== phase) continue;
    const match = rule.pattern.exec(text);
    if (match) return makeError(rule.code, rule.message(display, match), cause);
  }
  const message =
    fallback === 'INPUT_TRUNCATED'
      ? `${display} ends before any complete frame`
      : `ffmpeg could not ${phase === 'probe' ? 'read' : 'decode'} ${display}`;
  return makeError(fallback, message, cause);
}

function makeError(code: ErrorCode, message: string, cause: Error): FramewatchError {
  switch (code) {
    case 'SOURCE_REJECTED':
      return new SourceRejectedError(message, { cause });
    case 'SOURCE_TIMEOUT':
      return new SourceTimeoutError(message, { cause });
    case 'DECODE_FAILED':
      return new FramewatchError(code, message, { cause });
    default:
      return new InputError(code, message, { cause });
  }
}

/**
 * Drops query strings and credentials from any http(s), srt or udp URL in a log text: they often
 * carry tokens, SRT stream ids and passphrases.
 */
export function redactUrls(text: string): string {
  return text.replace(/\b((?:https?|srt|udp):\/\/)(?:[^\s/@]+@)?([^\s?#'"]*)(?:\?[^\s'"]*)?/gi, '$1$2');
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
