/**
 * Stable error codes. A code never changes meaning; new failure kinds get new codes.
 * Each code maps to a CLI exit code now and to an HTTP status (problem+json) at the API edge.
 */
export const ErrorCode = {
  /** Bad command-line usage or request shape. */
  USAGE: 'USAGE',
  /** Configuration (environment or flags) failed validation at start-up. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** The input file does not exist or cannot be read. */
  INPUT_NOT_FOUND: 'INPUT_NOT_FOUND',
  /** The input exists but holds zero bytes. */
  INPUT_EMPTY: 'INPUT_EMPTY',
  /** The input is not a media file ffmpeg can recognise. */
  INPUT_NOT_MEDIA: 'INPUT_NOT_MEDIA',
  /** The input is media but ends early or is damaged so that it cannot be decoded. */
  INPUT_TRUNCATED: 'INPUT_TRUNCATED',
  /** The input is media but has no stream Framewatch can analyse, or a codec ffmpeg lacks. */
  INPUT_UNSUPPORTED: 'INPUT_UNSUPPORTED',
  /** The source was refused by the input rules (scheme, destination, size) before ffmpeg ran. */
  SOURCE_REJECTED: 'SOURCE_REJECTED',
  /** The source stopped delivering bytes within the I/O timeout, or the wall-clock cap fired. */
  SOURCE_TIMEOUT: 'SOURCE_TIMEOUT',
  /** ffmpeg failed while decoding for a reason not covered by a more specific code. */
  DECODE_FAILED: 'DECODE_FAILED',
  /** Bytes on the wire do not form a valid frame-codec message. */
  CODEC_MALFORMED: 'CODEC_MALFORMED',
  /** The analysis was cancelled by its caller. */
  CANCELLED: 'CANCELLED',
  /** No valid credential: missing, expired, not yet valid, wrong audience/issuer, bad signature, replayed. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A valid credential that does not allow the operation. */
  FORBIDDEN: 'FORBIDDEN',
  /** Too many requests, or the job queue is full; retry later. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A request body over the size limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A request body of a content type the endpoint does not accept. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A remote call failed in transport: the callee may or may not have run it. */
  REMOTE_CALL_FAILED: 'REMOTE_CALL_FAILED',
  /** A requested record does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** A conditional write lost against a concurrent writer. */
  CONFLICT: 'CONFLICT',
  /** A storage or remote dependency could not be reached. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A bug: anything not anticipated. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the stable {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Exit codes of the CLI (DESIGN.md "Interfaces"). */
export const ExitCode = {
  OK: 0,
  DEFECTS_FOUND: 1,
  BAD_INPUT: 2,
  INTERNAL: 3,
  /** Interrupted by SIGINT/SIGTERM (128 + 2, the shell convention). */
  INTERRUPTED: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const httpStatusByCode: Record<ErrorCode, number> = {
  USAGE: 400,
  CONFIG_INVALID: 500,
  INPUT_NOT_FOUND: 422,
  INPUT_EMPTY: 422,
  INPUT_NOT_MEDIA: 422,
  INPUT_TRUNCATED: 422,
  INPUT_UNSUPPORTED: 422,
  SOURCE_REJECTED: 400,
  SOURCE_TIMEOUT: 504,
  DECODE_FAILED: 422,
  CODEC_MALFORMED: 400,
  CANCELLED: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REMOTE_CALL_FAILED: 502,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const badInputCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'CONFIG_INVALID',
  'INPUT_NOT_FOUND',
  'INPUT_EMPTY',
  'INPUT_NOT_MEDIA',
  'INPUT_TRUNCATED',
  'INPUT_UNSUPPORTED',
  'SOURCE_REJECTED',
  'SOURCE_TIMEOUT',
  'DECODE_FAILED',
  'CODEC_MALFORMED',
]);

/** Options accepted by every Framewatch error. */
export interface FramewatchErrorOptions {
  /** The underlying error, kept for logs; never shown to remote callers. */
  cause?: unknown;
  /** Extra machine-readable facts (safe to show: no secrets, no paths from other tenants). */
  detail?: Record<string, unknown>;
}

/**
 * Base class of every error Framewatch raises on purpose. Thrown wherever a failure has a known
 * meaning; anything else is wrapped as `INTERNAL` at the edge by {@link toFramewatchError}.
 *
 * @example
 * throw new FramewatchError('INPUT_EMPTY', 'clip.mp4 is empty (0 bytes)');
 */
export class FramewatchError extends Error {
  override readonly name: string = 'FramewatchError';
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FramewatchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail ?? {};
  }
}

/** Thrown when the input given to an analysis cannot be analysed (file or stream problems). */
export class InputError extends FramewatchError {
  override readonly name = 'InputError';
}

/** Thrown by the input rules when a source is refused before ffmpeg is spawned. */
export class SourceRejectedError extends FramewatchError {
  override readonly name = 'SourceRejectedError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('SOURCE_REJECTED', message, options);
  }
}

/** Thrown when a source stops delivering data in time or the wall-clock cap fires. */
export class SourceTimeoutError extends FramewatchError {
  override readonly name = 'SourceTimeoutError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('SOURCE_TIMEOUT', message, options);
  }
}

/** Thrown when configuration fails validation; the message names the variable or flag. */
export class ConfigError extends FramewatchError {
  override readonly name = 'ConfigError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Thrown for bad command-line usage or a malformed request. */
export class UsageError extends FramewatchError {
  override readonly name = 'UsageError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

/** Thrown when an operation is cancelled through its AbortSignal. */
export class CancelledError extends FramewatchError {
  override readonly name = 'CancelledError';
  constructor(message = 'analysis cancelled', options: FramewatchErrorOptions = {}) {
    super('CANCELLED', message, options);
  }
}

/** Thrown when bytes do not form a valid frame-codec message (bad magic, length, checksum…). */
export class CodecError extends FramewatchError {
  override readonly name = 'CodecError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('CODEC_MALFORMED', message, options);
  }
}

/** Thrown when a request carries no valid credential (401). */
export class AuthError extends FramewatchError {
  override readonly name = 'AuthError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('UNAUTHENTICATED', message, options);
  }
}

/**
 * Thrown by a remote binding when a call failed in transport (connection refused or reset, no
 * response before the deadline, a non-Framewatch error response): the callee may or may not
 * have run it, so only idempotent methods are retried.
 */
export class RemoteCallError extends FramewatchError {
  override readonly name = 'RemoteCallError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('REMOTE_CALL_FAILED', message, options);
  }
}

/** Returns `err` if it is a {@link FramewatchError}, otherwise wraps it as `INTERNAL`. */
export function toFramewatchError(err: unknown): FramewatchError {
  if (err instanceof FramewatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FramewatchError('INTERNAL', `internal error: ${message}`, { cause: err });
}

/** The CLI exit code for an error: 2 for bad input or usage, 130 when cancelled, 3 for anything else. */
export function exitCodeFor(err: unknown): ExitCode {
  const fw = toFramewatchError(err);
  if (fw.code === 'CANCELLED') return ExitCode.INTERRUPTED;
  return badInputCodes.has(fw.code) ? ExitCode.BAD_INPUT : ExitCode.INTERNAL;
}

/** The HTTP status an error maps to at the API edge. */
export function httpStatusFor(err: unknown): number {
  return httpStatusByCode[toFramewatchError(err).code];
}

/** An RFC 9457 problem document. Never contains a stack trace or a cause. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
}

/**
 * Renders an error as `application/problem+json`. Internal errors get a generic message so
 * that nothing about the process leaks to a remote caller.
 */
export function toProblem(err: unknown, instance?: string): ProblemDetails {
  const fw = toFramewatchError(err);
  const status = httpStatusByCode[fw.code];
  return {
    type: `https://framewatch.dev/problems/${fw.code.toLowerCase().replace(/_/g, '-')}`,
    title: fw.code,
    status,
    code: fw.code,
    detail: fw.code === 'INTERNAL' ? 'internal error' : fw.message,
    ...(instance === undefined ? {} : { instance }),
  };
}

/**
 * The system error code (`ECONNRESET`, `ETIMEDOUT`, `UND_ERR_SOCKET`…) of an error or of one of
 * its causes, up to four levels deep: HTTP clients such as undici put the socket's errno on a
 * wrapped cause. Undefined when there is none.
 *
 * @example
 * if (systemErrorCode(err) === 'ECONNREFUSED') retry();
 */
export function systemErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
