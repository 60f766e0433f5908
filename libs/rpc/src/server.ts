import type { RequestVerifier } from '@framewatch/auth';
import {
  AuthError,
  ErrorCode,
  FramewatchError,
  UsageError,
  httpStatusFor,
  toFramewatchError,
  toProblem,
} from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';
import express, { type Request, type Response, type Router } from 'express';
import { type ContractSpec, type MethodSpec, RpcHeader, methodSpec } from './contract';
import { contentTypeOf, decodeRequest, encodeBinary, toErrorEnvelope } from './wire';

/** Options of {@link createRpcRouter}. */
export interface RpcRouterOptions {
  /**
   * Checks the HMAC signature of every call on the raw body before anything is decoded; calls
   * without a valid, fresh, unused signature get 401 and never reach the implementation. Leave
   * it out only when the router is not reachable from outside the process's trust boundary.
   */
  verifier?: RequestVerifier;
  /** Largest accepted request body; 64 MiB by default (a batch of full-HD frames). Larger → 413. */
  maxBodyBytes?: number;
  /** Where refusals and internal errors are logged (with causes and stacks, which never go on the wire). */
  logger?: Logger;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Serves a component over HTTP: `POST /rpc/<contract>/<method>`, one request per call. Mount it
 * before any body parser (it needs the raw bytes to check the signature); several routers (one
 * per contract) can share an app, since a call for another contract falls through.
 *
 * Order of checks, cheapest and least revealing first: body size (413), signature (401), method
 * (404), content type (415), decoding (400 `CODEC_MALFORMED` / `USAGE`), then the call. Every
 * refusal and every error the implementation throws is answered with `x-framewatch-error: 1`, the
 * status of {@link httpStatusFor} and a body that is both an RFC 9457 problem and the envelope
 * `{ "error": { "name", "code", "message", "detail" } }` the client rebuilds errors from.
 *
 * @example
 * const app = express();
 * app.use(createRpcRouter(detectorContract, createDetector(deps), { verifier, logger }));
 * app.listen(8082);
 */
export function createRpcRouter<T>(spec: ContractSpec<T>, impl: T, options: RpcRouterOptions = {}): Router {
  const { verifier, logger } = options;
  const readRaw = express.raw({
    type: () => true,
    limit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    // A compressed body could expand past the limit's intent (zip bomb), and frames do not compress.
    inflate: false,
  });
  const router = express.Router();

  router.post('/rpc/:contract/:method', async (req: Request, res: Response, next) => {
    if (req.params['contract'] !== spec.name) {
      next();
      return;
    }
    const method = String(req.params['method']);
    try {
      const body = await readBody(readRaw, req, res);
      verifier?.verify({ method: req.method, path: req.originalUrl, headers: req.headers, body });
      const mspec = methodSpec(spec, method);
      const fn = mspec === undefined ? undefined : (impl as Record<string, unknown>)[method];
      if (mspec === undefined || typeof fn !== 'function') {
        throw new FramewatchError(ErrorCode.NOT_FOUND, `no method ${spec.name}.${method}`);
      }
      checkContentType(req, mspec, body);
      const args = decodeRequest(mspec.request, body);
      let result: unknown;
      try {
        result = await fn.apply(impl, args);
      } catch (err) {
        sendError(res, err, logger, spec.name, method);
        return;
      }
      sendResult(res, mspec, result, logger, spec.name, method);
    } catch (err) {
      sendError(res, err, logger, spec.name, method);
    }
  });
  return router;
}

type RawParser = ReturnType<typeof express.raw>;

function readBody(readRaw: RawParser, req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readRaw(req, res, (err?: unknown) => {
      if (err !== undefined && err !== null) {
        reject(bodyError(err));
        return;
      }
      const body: unknown = req.body;
      if (body === undefined) resolve(Buffer.alloc(0));
      else if (Buffer.isBuffer(body)) resolve(body);
      // Another body parser consumed the stream first: the signature cannot be checked.
      else reject(new Error('rpc router mounted after a body parser; the raw body is gone'));
    });
  });
}

/** Maps body-parser's http-errors to Framewatch errors. */
function bodyError(err: unknown): FramewatchError {
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') {
    return new FramewatchError(ErrorCode.PAYLOAD_TOO_LARGE, 'request body too large', { cause: err });
  }
  if (type === 'encoding.unsupported') {
    return new FramewatchError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'content encoding not supported', { cause: err });
  }
  return new UsageError('request body could not be read', { cause: err });
}

function checkContentType(req: Request, mspec: MethodSpec, body: Buffer): void {
  const expected = contentTypeOf(mspec.request);
  if (expected === undefined) {
    if (body.byteLength !== 0) throw new UsageError('this method takes no request body');
    return;
  }
  const actual = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (actual !== expected) {
    throw new FramewatchError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `expected content type ${expected}`, {
      detail: { expected },
    });
  }
}

function sendResult(res: Response, mspec: MethodSpec, result: unknown, logger: Logger | undefined, contract: string, method: string): void {
  let bytes: Uint8Array;
  try {
    if (mspec.response === 'void') {
      res.status(204).end();
      return;
    }
    bytes =
      mspec.response === 'json'
        ? Buffer.from(JSON.stringify({ result }), 'utf8')
        : encodeBinary(mspec.response, result);
  } catch (err) {
    // A result that cannot be encoded is this side's bug; a CodecError here must not read as
    // "your request was malformed" to the caller.
    sendError(res, new FramewatchError(ErrorCode.INTERNAL, `cannot encode result of ${contract}.${method}`, { cause: err }), logger, contract, method);
    return;
  }
  res.status(200);
  res.setHeader('content-type', contentTypeOf(mspec.response) as string);
  res.setHeader('content-length', bytes.byteLength);
  // res.end, not res.send: send() would hash the whole body for an ETag nobody uses.
  res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function sendError(res: Response, err: unknown, logger: Logger | undefined, contract: string, method: string): void {
  const fw = toFramewatchError(err);
  const status = httpStatusFor(fw);
  if (fw.code === ErrorCode.INTERNAL) logger?.error({ err, contract, method }, 'rpc call failed');
  else if (fw instanceof AuthError) logger?.warn({ contract, method, reason: fw.detail['reason'] }, 'rpc call refused');
  else logger?.debug({ contract, method, code: fw.code }, 'rpc call answered with an error');
  if (res.headersSent) {
    // Nothing sensible can be sent any more; cutting the connection makes the caller see a
    // transport failure rather than a truncated success.
    res.destroy();
    return;
  }
  const problem = toProblem(fw, res.req.originalUrl);
  const body = Buffer.from(JSON.stringify({ ...problem, ...toErrorEnvelope(fw) }), 'utf8');
  res.status(status);
  res.setHeader(RpcHeader.error, '1');
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', body.byteLength);
  res.end(body);
}
