/**
 * Service-to-service request signatures (RELIABILITY H6): an HMAC-SHA256 over a canonical form of
 * the request, with a timestamp window and a one-time nonce so that a captured request cannot be
 * replayed.
 *
 * Canonical form (UTF-8, lines joined by `\n`, no trailing newline):
 *
 * ```
 * FW1-HMAC-SHA256
 * <key id>
 * <METHOD, upper case>
 * <path including the query string, exactly as sent>
 * <x-fw-timestamp: unix milliseconds, decimal>
 * <x-fw-nonce>
 * <SHA-256 of the body, lower-case hex>
 * ```
 *
 * `x-fw-signature` is the lower-case hex HMAC-SHA256 of that string under the shared secret.
 */
import { AuthError, ConfigError } from '@framewatch/errors';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { assertStrongSecret } from './secret';

/** Header names carried by a signed request (lower case, as Node presents them). */
export const SignatureHeader = {
  keyId: 'x-fw-key',
  timestamp: 'x-fw-timestamp',
  nonce: 'x-fw-nonce',
  signature: 'x-fw-signature',
} as const;

/** The parts of a request a signature covers. */
export interface SignableRequest {
  method: string;
  /** Path and query, exactly as sent on the request line (e.g. `/rpc/detector/detect?x=1`). */
  path: string;
  body: Uint8Array;
}

/** A request as received, for {@link RequestVerifier.verify}. */
export interface ReceivedRequest extends SignableRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** Signs outgoing service-to-service requests; see {@link createRequestSigner}. */
export interface RequestSigner {
  /** Returns the four `x-fw-*` headers to add to this request. Call once per attempt: each gets a fresh nonce. */
  sign(req: SignableRequest): Record<string, string>;
}

/** Checks incoming service-to-service requests; see {@link createRequestVerifier}. */
export interface RequestVerifier {
  /**
   * Returns when the request is signed with the shared secret, recent, and not seen before.
   *
   * @throws AuthError (`UNAUTHENTICATED`; `detail.reason` one of {@link SignatureFailure}) otherwise.
   */
  verify(req: ReceivedRequest): void;
}

/** Options of {@link createRequestSigner}. */
export interface RequestSignerOptions {
  /** Shared secret, at least 32 bytes. */
  secret: string;
  /** Names the secret (for rotation and logs); `default` when omitted. Covered by the signature. */
  keyId?: string;
  /** Clock in unix milliseconds; `Date.now` by default (tests inject one). */
  now?: () => number;
}

/** Options of {@link createRequestVerifier}. */
export interface RequestVerifierOptions {
  /** Shared secret, at least 32 bytes. */
  secret: string;
  /** Accepted clock difference either way between signer and verifier, seconds; 30 by default. */
  windowSec?: number;
  /** Clock in unix milliseconds; `Date.now` by default (tests inject one). */
  now?: () => number;
}

/** Why a signed request was refused, in `AuthError.detail.reason`. */
export const SignatureFailure = {
  missing: 'signature_missing',
  malformed: 'signature_malformed',
  stale: 'timestamp_outside_window',
  mismatch: 'signature_mismatch',
  replayed: 'nonce_replayed',
} as const;

/** One of the {@link SignatureFailure} values. */
export type SignatureFailure = (typeof SignatureFailure)[keyof typeof SignatureFailure];

const SCHEME = 'FW1-HMAC-SHA256';
const DEFAULT_KEY_ID = 'default';
const DEFAULT_WINDOW_SEC = 30;
// 16 random bytes as base64url are 22 characters; the bounds keep junk out of the nonce cache.
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,16}$/;

const failureMessages: Record<SignatureFailure, string> = {
  signature_missing: 'request is not signed',
  signature_malformed: 'request signature headers are malformed',
  timestamp_outside_window: 'request timestamp outside the accepted window',
  signature_mismatch: 'request signature invalid',
  nonce_replayed: 'request nonce already used',
};

function refuse(reason: SignatureFailure): AuthError {
  return new AuthError(failureMessages[reason], { detail: { reason } });
}

function canonical(keyId: string, req: SignableRequest, timestamp: string, nonce: string): string {
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  return [SCHEME, keyId, req.method.toUpperCase(), req.path, timestamp, nonce, bodyHash].join('\n');
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/**
 * Creates the signer a service client uses on every outgoing request.
 *
 * @throws ConfigError (`CONFIG_INVALID`) when the secret is shorter than 32 bytes or the key id
 *   is not 1–64 characters of `[A-Za-z0-9._-]`.
 * @example
 * const signer = createRequestSigner({ secret: config.serviceSecret });
 * const headers = signer.sign({ method: 'POST', path: '/rpc/detector/detect', body });
 */
export function createRequestSigner(options: RequestSignerOptions): RequestSigner {
  assertStrongSecret(options.secret, 'service signing secret');
  const keyId = options.keyId ?? DEFAULT_KEY_ID;
  if (!KEY_ID.test(keyId)) {
    throw new ConfigError('service signing key id must be 1-64 characters of [A-Za-z0-9._-]', { detail: { option: 'keyId' } });
  }
  const { secret } = options;
  const now = options.now ?? Date.now;
  return {
    sign(req: SignableRequest): Record<string, string> {
      const timestamp = String(Math.trunc(now()));
      const nonce = randomBytes(16).toString('base64url');
      return {
        [SignatureHeader.keyId]: keyId,
        [SignatureHeader.timestamp]: timestamp,
        [SignatureHeader.nonce]: nonce,
        [SignatureHeader.signature]: hmac(secret, canonical(keyId, req, timestamp, nonce)),
      };
    },
  };
}

function header(headers: ReceivedRequest['headers'], name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    // Node lower-cases incoming names, but callers may pass headers from elsewhere.
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  // A repeated header is ambiguous (which one was signed?), so it counts as malformed.
  if (Array.isArray(value)) throw refuse(SignatureFailure.malformed);
  return value;
}

/**
 * Creates the verifier a service puts in front of its RPC routes. It remembers each accepted
 * nonce for as long as its timestamp could still be accepted (at most twice the window) and
 * forgets it after, so memory is bounded by the request rate times the window.
 *
 * Checks run cheapest first and the nonce is recorded only after the signature matched, so
 * unsigned junk cannot fill the nonce cache.
 *
 * @throws ConfigError (`CONFIG_INVALID`) when the secret is shorter than 32 bytes.
 * @example
 * const verifier = createRequestVerifier({ secret: config.serviceSecret });
 * app.use(createRpcRouter(detectorContract, detector, { verifier }));
 */
export function createRequestVerifier(options: RequestVerifierOptions): RequestVerifier {
  assertStrongSecret(options.secret, 'service signing secret');
  const { secret } = options;
  const windowMs = (options.windowSec ?? DEFAULT_WINDOW_SEC) * 1000;
  const now = options.now ?? Date.now;
  // nonce → time after which it can be forgotten. Expiries are "time seen + 2 windows", so they
  // rise in insertion order and pruning only ever looks at the oldest entries.
  const seen = new Map<string, number>();
  // Keeps expiries non-decreasing even if the clock steps backwards, which pruning relies on.
  let lastForgetAt = -Infinity;

  function prune(at: number): void {
    for (const [nonce, forgetAt] of seen) {
      if (forgetAt > at) break;
      seen.delete(nonce);
    }
  }

  return {
    verify(req: ReceivedRequest): void {
      const keyId = header(req.headers, SignatureHeader.keyId);
      const timestamp = header(req.headers, SignatureHeader.timestamp);
      const nonce = header(req.headers, SignatureHeader.nonce);
      const signature = header(req.headers, SignatureHeader.signature);
      if (keyId === undefined || timestamp === undefined || nonce === undefined || signature === undefined) {
        throw refuse(SignatureFailure.missing);
      }
      if (!KEY_ID.test(keyId) || !TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) {
        throw refuse(SignatureFailure.malformed);
      }
      const at = now();
      if (Math.abs(at - Number(timestamp)) > windowMs) throw refuse(SignatureFailure.stale);

      const expected = Buffer.from(hmac(secret, canonical(keyId, req, timestamp, nonce)), 'hex');
      // Same length is guaranteed by the SIGNATURE pattern, as timingSafeEqual requires.
      if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw refuse(SignatureFailure.mismatch);

      prune(at);
      if (seen.has(nonce)) throw refuse(SignatureFailure.replayed);
      lastForgetAt = Math.max(lastForgetAt, at + 2 * windowMs);
      seen.set(nonce, lastForgetAt);
    },
  };
}
