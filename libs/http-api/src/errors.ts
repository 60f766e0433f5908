/**
 * The API's error edge: every failure leaves as `application/problem+json` with a stable code
 * (STYLE.md "Errors"); stack traces and causes stay in the logs.
 */
import type { NextFunction, Request, Response } from 'express';
import { FramewatchError, toFramewatchError, toProblem } from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';

/** Media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Maps errors raised by Express and body-parser (which carry `type`/`status`) to Framewatch
 * errors; anything else goes through {@link toFramewatchError} (unknown → `INTERNAL`).
 */
export function normalizeError(err: unknown): FramewatchError {
  if (err instanceof FramewatchError) return err;
  if (typeof err === 'object' && err !== null) {
    const { type, status } = err as { type?: unknown; status?: unknown };
    switch (type) {
      case 'entity.too.large':
        return new FramewatchError('PAYLOAD_TOO_LARGE', 'the request body is too large', { cause: err });
      case 'entity.parse.failed':
        return new FramewatchError('USAGE', 'the request body is not valid JSON', { cause: err });
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new FramewatchError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content encoding or charset', { cause: err });
      case 'request.aborted':
      case 'request.size.invalid':
        return new FramewatchError('USAGE', 'the request body was incomplete', { cause: err });
      default:
        break;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new FramewatchError('USAGE', 'malformed request', { cause: err });
    }
  }
  return toFramewatchError(err);
}

/** Writes `err` as a problem document; `extra` adds extension members (RFC 9457 §3.2). */
export function sendProblem(req: Request, res: Response, err: unknown, extra: Record<string, unknown> = {}): void {
  const problem = toProblem(err, req.path);
  // A body we did not read stays unread: closing is cheaper than draining an upload we refused.
  if (!req.complete) res.setHeader('Connection', 'close');
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({ ...problem, ...extra }));
}

/** The final Express error handler. */
export function problemHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const fw = normalizeError(err);
    if (fw.code === 'INTERNAL' || fw.code === 'UNAVAILABLE') {
      logger.error({ err: fw.cause ?? fw, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(req, res, fw);
  };
}
