/**
 * Encoding of call arguments, results and errors on the wire, shared by the router and the
 * client so that both sides agree by construction.
 */
import {
  AuthError,
  CancelledError,
  CodecError,
  ConfigError,
  ErrorCode,
  FramewatchError,
  InputError,
  RemoteCallError,
  SourceRejectedError,
  SourceTimeoutError,
  UsageError,
  toFramewatchError,
} from '@framewatch/errors';
import {
  type DetectionBatch,
  type EncodeOptions,
  type FrameBatch,
  decodeDetectionBatch,
  decodeFrameBatch,
  encodeDetectionBatch,
  encodeFrameBatch,
} from '@framewatch/frame-codec';
import { RpcContentType, type WireCodec } from './contract';

/** The body of an error response (with header `x-framewatch-error: 1`). */
export interface ErrorEnvelope {
  error: { name: string; code: string; message: string; detail: Record<string, unknown> };
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The content type a body of `codec` carries, or undefined for `void` (no body). */
export function contentTypeOf(codec: WireCodec): string | undefined {
  if (codec === 'void') return undefined;
  return codec === 'json' ? RpcContentType.json : RpcContentType.codec;
}

/** Encodes a binary value; the codec's own CodecError is thrown for data that breaks the model. */
export function encodeBinary(codec: 'frame-batch' | 'detection-batch', value: unknown, options: EncodeOptions = {}): Uint8Array {
  return codec === 'frame-batch' ? encodeFrameBatch(value as FrameBatch, options) : encodeDetectionBatch(value as DetectionBatch, options);
}

/** Decodes a binary value into views over `bytes` (no copies of plane or sample data). */
export function decodeBinary(codec: 'frame-batch' | 'detection-batch', bytes: Uint8Array): unknown {
  return codec === 'frame-batch' ? decodeFrameBatch(bytes) : decodeDetectionBatch(bytes);
}

/**
 * Encodes the arguments of a call as a request body.
 *
 * @throws UsageError when a binary or void request gets the wrong number of arguments; CodecError
 *   when a batch breaks the data model (the sender fails, not the receiver).
 */
export function encodeRequest(codec: WireCodec, args: readonly unknown[], options: EncodeOptions = {}): Uint8Array {
  switch (codec) {
    case 'void':
      return EMPTY;
    case 'json':
      return utf8.encode(JSON.stringify(args));
    default:
      if (args.length !== 1) throw new UsageError(`a ${codec} request takes exactly one argument, got ${args.length}`);
      return encodeBinary(codec, args[0], options);
  }
}

/**
 * Decodes a request body into call arguments.
 *
 * @throws CodecError for malformed codec bytes; UsageError for a JSON body that is not an array,
 *   or a body on a `void` request.
 */
export function decodeRequest(codec: WireCodec, body: Uint8Array): unknown[] {
  switch (codec) {
    case 'void':
      if (body.byteLength !== 0) throw new UsageError('this method takes no request body');
      return [];
    case 'json': {
      const args = parseJson(body);
      if (!Array.isArray(args)) throw new UsageError('a JSON request body must be the array of the arguments');
      return args;
    }
    default:
      return [decodeBinary(codec, body)];
  }
}

/** Parses UTF-8 JSON bytes. @throws UsageError when they are not valid JSON. */
export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8.decode(body));
  } catch (err) {
    throw new UsageError('request body is not valid JSON', { cause: err });
  }
}

/** Serialises an error for the wire: no stack, no cause, and a generic message for INTERNAL. */
export function toErrorEnvelope(err: unknown): ErrorEnvelope {
  const fw = toFramewatchError(err);
  const internal = fw.code === ErrorCode.INTERNAL;
  return {
    error: {
      name: internal ? 'FramewatchError' : fw.name,
      code: fw.code,
      message: internal ? 'internal error' : fw.message,
      detail: internal ? {} : fw.detail,
    },
  };
}

type Rebuild = (code: ErrorCode, message: string, detail: Record<string, unknown>) => FramewatchError;

// Classes whose constructor fixes the code are rebuilt only when the code matches, so a forged
// or mismatched envelope cannot produce, say, an AuthError with code CONFLICT.
const rebuilders: Record<string, { code?: ErrorCode; make: Rebuild }> = {
  FramewatchError: { make: (c, m, d) => new FramewatchError(c, m, { detail: d }) },
  InputError: { make: (c, m, d) => new InputError(c, m, { detail: d }) },
  SourceRejectedError: { code: 'SOURCE_REJECTED', make: (_c, m, d) => new SourceRejectedError(m, { detail: d }) },
  SourceTimeoutError: { code: 'SOURCE_TIMEOUT', make: (_c, m, d) => new SourceTimeoutError(m, { detail: d }) },
  ConfigError: { code: 'CONFIG_INVALID', make: (_c, m, d) => new ConfigError(m, { detail: d }) },
  UsageError: { code: 'USAGE', make: (_c, m, d) => new UsageError(m, { detail: d }) },
  CancelledError: { code: 'CANCELLED', make: (_c, m, d) => new CancelledError(m, { detail: d }) },
  CodecError: { code: 'CODEC_MALFORMED', make: (_c, m, d) => new CodecError(m, { detail: d }) },
  AuthError: { code: 'UNAUTHENTICATED', make: (_c, m, d) => new AuthError(m, { detail: d }) },
  RemoteCallError: { code: 'REMOTE_CALL_FAILED', make: (_c, m, d) => new RemoteCallError(m, { detail: d }) },
};

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rebuilds the error an implementation threw on the other side: same class (by name) and code
 * when known, otherwise a FramewatchError with the code; an unknown code becomes INTERNAL.
 * Returns undefined when `body` is not an error envelope.
 */
export function fromErrorEnvelope(body: unknown): FramewatchError | undefined {
  if (!isRecord(body) || !isRecord(body['error'])) return undefined;
  const { name, code, message, detail } = body['error'];
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  const safeCode: ErrorCode = knownCodes.has(code) ? (code as ErrorCode) : ErrorCode.INTERNAL;
  const safeDetail = isRecord(detail) ? detail : {};
  const rebuilder = typeof name === 'string' && Object.prototype.hasOwnProperty.call(rebuilders, name) ? rebuilders[name] : undefined;
  if (rebuilder && (rebuilder.code === undefined || rebuilder.code === safeCode)) {
    return rebuilder.make(safeCode, message, safeDetail);
  }
  return new FramewatchError(safeCode, message, { detail: safeDetail });
}
