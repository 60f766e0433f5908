import type { RequestSigner } from '@framewatch/auth';
import { FramewatchError, RemoteCallError, UsageError, systemErrorCode } from '@framewatch/errors';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Pool, buildConnector } from 'undici';
import { type ContractSpec, type MethodSpec, RpcHeader, rpcPath } from './contract';
import { contentTypeOf, decodeBinary, encodeRequest, fromErrorEnvelope } from './wire';

/** Back-off of retried calls. Retries happen only for idempotent methods and transport failures. */
export interface RetryPolicy {
  /** Total attempts per call, the first included; 1 disables retries. */
  attempts: number;
  /** Back-off before the second attempt; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** Cap of one back-off; 2 s by default. */
  maxDelayMs?: number;
}

/** Options of {@link createRpcClient}. */
export interface RpcClientOptions {
  /** Where the component is served, e.g. `http://detector:8082` (a path prefix is kept). */
  baseUrl: string;
  /** Signs every attempt (each with a fresh nonce); needed when the router has a verifier. */
  signer?: RequestSigner;
  /** Deadline of one call, all attempts and back-off included, unless the method sets its own; 30 s by default. */
  timeoutMs?: number;
  /** Retries of idempotent methods; 3 attempts, 50 ms base, 2 s cap by default. */
  retry?: RetryPolicy;
  /** Keep-alive connections the client may open to the server; 8 by default. */
  connections?: number;
}

/** Counters of one client since it was created. */
export interface RpcClientStats {
  /** Calls made (each counted once, however many attempts it took). */
  calls: number;
  /** HTTP requests sent. */
  attempts: number;
  /** Attempts after the first of their call. */
  retries: number;
  /** Bytes written to the sockets: request lines, headers and bodies. */
  bytesSent: number;
  /** Bytes read from the sockets: status lines, headers and bodies. */
  bytesReceived: number;
}

/** What {@link createRpcClient} returns: the contract's methods plus lifecycle and counters. */
export type RpcClient<T> = T & {
  /** Waits for calls in flight, then closes every connection. */
  close(): Promise<void>;
  stats(): RpcClientStats;
};

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 3, baseDelayMs: 50, maxDelayMs: 2_000 };
const DEFAULT_CONNECTIONS = 8;

// Failures where the request may not have reached the callee, or its answer did not come back,
// and where trying again on another connection can help. Anything else (a closed client, an
// invalid argument) is a bug on this side that a retry would only repeat.
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);

/** The outcome of one attempt that did not succeed. */
interface Failure {
  /** Thrown as is when this is the last attempt or `retryable` is false. */
  error: FramewatchError;
  retryable: boolean;
}

/**
 * Creates a remote binding of a contract: an object with the contract's methods, each an HTTP
 * call to the router of {@link createRpcRouter}, over a keep-alive connection pool (undici).
 *
 * - Errors the implementation threw come back rebuilt (same class by name, same code, message and
 *   detail) and are never retried.
 * - Everything else — refused or reset connections, no answer before the deadline, a response that
 *   is not a Framewatch answer — is a `RemoteCallError`: the call may or may not have run. Only
 *   methods marked `idempotent` are tried again, with exponential back-off and jitter, and only
 *   within the call's deadline.
 *
 * Create one client per callee at start-up and `close()` it at shutdown.
 *
 * @throws UsageError when `baseUrl` is not an http(s) URL.
 * @example
 * const detector = createRpcClient(detectorContract, { baseUrl: config.detectorUrl, signer, timeoutMs: 10_000 });
 * const scores = await detector.detect(batch);
 * log.info(detector.stats(), 'detector traffic');
 * await detector.close();
 */
export function createRpcClient<T>(spec: ContractSpec<T>, options: RpcClientOptions): RpcClient<T> {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (err) {
    throw new UsageError('rpc baseUrl is not a URL', { cause: err, detail: { contract: spec.name } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('rpc baseUrl must be an http(s) URL', { detail: { contract: spec.name } });
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signer } = options;

  const counters = { calls: 0, attempts: 0, retries: 0 };
  const wire = countingConnector();
  const pool = new Pool(url.origin, {
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    connect: wire.connect,
  });

  async function attempt(method: string, mspec: MethodSpec, path: string, body: Uint8Array, deadline: number, timeoutMs: number): Promise<unknown> {
    const remaining = deadline - performance.now();
    const where = { contract: spec.name, method };
    const deadlineError = (cause?: unknown): Failure => ({
      error: new RemoteCallError(`${spec.name}.${method}: no answer within ${timeoutMs} ms; it may or may not have run`, {
        cause,
        detail: { ...where, reason: 'deadline', timeoutMs },
      }),
      retryable: false,
    });
    if (remaining <= 0) throw deadlineError();

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remaining);
    try {
      const headers: Record<string, string> = { ...signer?.sign({ method: 'POST', path, body }) };
      const contentType = contentTypeOf(mspec.request);
      if (contentType !== undefined) headers['content-type'] = contentType;
      let status: number;
      let isError: boolean;
      let bytes: Uint8Array;
      try {
        const res = await pool.request({ method: 'POST', path, headers, body, signal: controller.signal });
        status = res.statusCode;
        isError = res.headers[RpcHeader.error] === '1';
        // A fresh ArrayBuffer: offset 0, so float32 samples decode as views without a copy.
        bytes = new Uint8Array(await res.body.arrayBuffer());
      } catch (err) {
        if (controller.signal.aborted) throw deadlineError(err);
        const code = systemErrorCode(err);
        throw {
          error: new RemoteCallError(`${spec.name}.${method}: transport failure (${code ?? 'unknown'}); it may or may not have run`, {
            cause: err,
            detail: { ...where, reason: 'transport', errno: code ?? null },
          }),
          retryable: code !== undefined && RETRYABLE_CODES.has(code),
        } satisfies Failure;
      }
      return readAnswer(method, mspec, status, isError, bytes);
    } finally {
      clearTimeout(timer);
    }
  }

  function readAnswer(method: string, mspec: MethodSpec, status: number, isError: boolean, bytes: Uint8Array): unknown {
    const where = { contract: spec.name, method, status };
    if (isError) {
      let envelope: unknown;
      try {
        envelope = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch {
        envelope = undefined;
      }
      const rebuilt = fromErrorEnvelope(envelope);
      // An application error crossed the wire: the callee answered, so retrying changes nothing.
      if (rebuilt !== undefined) throw { error: rebuilt, retryable: false } satisfies Failure;
    }
    if (status < 200 || status > 299 || isError) {
      // No Framewatch answer: a proxy, a load balancer or another server spoke. Gateways' 502-504
      // mean the call most likely did not reach a healthy callee, which is worth another try.
      throw {
        error: new RemoteCallError(`${spec.name}.${method}: HTTP ${status} without a Framewatch answer; it may or may not have run`, {
          detail: { ...where, reason: 'status' },
        }),
        retryable: RETRYABLE_STATUS.has(status),
      } satisfies Failure;
    }
    try {
      if (mspec.response === 'void') return undefined;
      if (mspec.response === 'json') {
        const parsed: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null) throw new Error('JSON answer is not an object');
        return (parsed as { result?: unknown }).result;
      }
      return decodeBinary(mspec.response, bytes);
    } catch (err) {
      // It ran (the callee answered 2xx) but the answer is unusable; running it again would not help.
      throw {
        error: new RemoteCallError(`${spec.name}.${method}: malformed answer`, { cause: err, detail: { ...where, reason: 'malformed_answer' } }),
        retryable: false,
      } satisfies Failure;
    }
  }

  async function call(method: string, mspec: MethodSpec, args: unknown[]): Promise<unknown> {
    counters.calls++;
    // Encoding errors are the caller's and are thrown before any attempt, never as RemoteCallError.
    // A signed request's HMAC covers a SHA-256 of the body, which already proves its integrity end
    // to end: the codec's own body CRC would be a second pass over every plane for nothing.
    const body = encodeRequest(mspec.request, args, { bodyChecksum: options.signer === undefined });
    const path = basePath + rpcPath(spec.name, method);
    const timeoutMs = mspec.timeoutMs ?? defaultTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    const maxAttempts = mspec.idempotent ? Math.max(1, Math.floor(retry.attempts)) : 1;
    for (let n = 1; ; n++) {
      counters.attempts++;
      if (n > 1) counters.retries++;
      try {
        return await attempt(method, mspec, path, body, deadline, timeoutMs);
      } catch (thrown) {
        const failure = thrown as Failure;
        if (!(failure.error instanceof Error)) throw thrown;
        const error = failure.error;
        if (error instanceof RemoteCallError) error.detail['attempts'] = n;
        if (!failure.retryable || n >= maxAttempts) throw error;
        const delay = backoff(n, retry);
        if (performance.now() + delay >= deadline) throw error;
        await sleep(delay);
      }
    }
  }

  const client: Record<string, unknown> = {
    close: () => pool.close(),
    stats: (): RpcClientStats => ({ ...counters, ...wire.bytes() }),
  };
  for (const [method, mspec] of Object.entries<MethodSpec>(spec.methods)) {
    client[method] = (...args: unknown[]) => call(method, mspec, args);
  }
  return client as RpcClient<T>;
}

/** Exponential back-off with "equal jitter": half fixed so it grows, half random so callers spread. */
function backoff(failedAttempt: number, retry: Required<RetryPolicy>): number {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failedAttempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A connector that counts bytes on every socket it opens, so that stats report what really
 * crossed the wire (headers included), not only body sizes.
 */
function countingConnector(): { connect: buildConnector.connector; bytes(): { bytesSent: number; bytesReceived: number } } {
  const base = buildConnector({});
  const open = new Set<Socket>();
  let closedSent = 0;
  let closedReceived = 0;
  const connect: buildConnector.connector = (opts, callback) => {
    base(opts, (...args) => {
      // On failure undici's connector passes only the error, so the socket is undefined, not null.
      const socket = args[0] ? undefined : args[1];
      if (socket) {
        open.add(socket);
        socket.once('close', () => {
          closedSent += socket.bytesWritten;
          closedReceived += socket.bytesRead;
          open.delete(socket);
        });
      }
      callback(...args);
    });
  };
  return {
    connect,
    bytes() {
      let bytesSent = closedSent;
      let bytesReceived = closedReceived;
      for (const socket of open) {
        bytesSent += socket.bytesWritten;
        bytesReceived += socket.bytesRead;
      }
      return { bytesSent, bytesReceived };
    },
  };
}
