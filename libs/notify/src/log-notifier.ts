import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';
import { Agent, request } from 'undici';
import { alertAttributes, assertValidAlert } from './alert';
import { NotifyUnavailableError } from './errors';
import type { DefectAlert, Notifier } from './notifier';

/** Headers of a webhook delivery (lower case, as Node presents them to a receiver). */
export const WebhookHeader = {
  /** The alert's deterministic id: receivers de-duplicate on it (RELIABILITY R9). */
  alertId: 'x-framewatch-alert-id',
  jobId: 'x-framewatch-job-id',
  kind: 'x-framewatch-alert-kind',
  defectType: 'x-framewatch-defect-type',
  /** `sha256=<hex HMAC-SHA256 of the exact body bytes>`; present only when a secret is set. */
  signature: 'x-framewatch-signature',
  /** 1 for the first request of a publish, 2 for its first retry, … */
  attempt: 'x-framewatch-attempt',
} as const;

/** Retry policy of webhook deliveries. */
export interface WebhookRetryPolicy {
  /** Requests per publish, the first included; 3 by default. */
  maxAttempts?: number;
  /** First back-off; 200 ms by default, doubled per retry. */
  baseDelayMs?: number;
  /** Cap of one back-off; 2 s by default. */
  maxDelayMs?: number;
}

/** Options of {@link createLogNotifier}. */
export interface LogNotifierOptions {
  /** Every alert is logged here at `info`; delivery failures at `warn`. */
  logger: Logger;
  /** An `http(s)` URL that receives each alert as a JSON POST. Without it alerts are only logged. */
  webhookUrl?: string;
  /** Shared secret for the {@link WebhookHeader.signature} header. Requires `webhookUrl`. */
  webhookSecret?: string;
  /** Deadline of one webhook request (connect, headers and body); 5 s by default. */
  timeoutMs?: number;
  retry?: WebhookRetryPolicy;
}

const DEFAULT_RETRY: Required<WebhookRetryPolicy> = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
// Statuses worth another try: the receiver is overloaded or restarting, or a proxy gave up.
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * The signature header value for a webhook body: `sha256=` and the lower-case hex HMAC-SHA256 of
 * the exact body bytes under `secret`.
 *
 * @example
 * signWebhookBody('{"alertId":"al-…"}', secret); // → 'sha256=9f…'
 */
export function signWebhookBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks a received webhook body against its {@link WebhookHeader.signature} header in constant
 * time. For receivers (and tests); returns false for a missing or malformed header.
 *
 * @example
 * if (!verifyWebhookSignature(rawBody, req.headers['x-framewatch-signature'], secret)) res.statusCode = 401;
 */
export function verifyWebhookSignature(body: string | Uint8Array, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const actual = Buffer.from(header);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

interface Failure {
  retryable: boolean;
  reason: string;
  status?: number;
  cause?: unknown;
}

/**
 * The embedded-default Notifier (DESIGN.md "Storage"): logs every alert and, when a webhook is
 * configured, POSTs the alert as JSON with its id (and an HMAC signature when a secret is set) in
 * headers. Network errors, timeouts, 408/425/429 and 5xx are retried with exponential back-off
 * and jitter; other statuses and redirects are not (redirects are never followed). `publish`
 * throws only {@link NotifyUnavailableError} (`UNAVAILABLE`) once delivery is given up, or
 * `USAGE` for a malformed alert. Every retry re-sends the same body, so the alert keeps its id.
 *
 * @example
 * const notifier = createLogNotifier({ logger: log, webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret });
 * await notifier.publish(toAlert(jobId, AlertKind.opened, event));
 */
export function createLogNotifier(options: LogNotifierOptions): Notifier {
  const { logger } = options;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new ConfigError('notify: retry.maxAttempts must be a positive integer');
  if (!(timeoutMs > 0)) throw new ConfigError('notify: timeoutMs must be positive');
  if (options.webhookSecret !== undefined && options.webhookUrl === undefined) throw new ConfigError('notify: webhookSecret is set but webhookUrl is not');
  if (options.webhookSecret !== undefined && options.webhookSecret.length < 16) throw new ConfigError('notify: webhookSecret must be at least 16 characters');
  const url = options.webhookUrl === undefined ? undefined : parseWebhookUrl(options.webhookUrl);
  const agent = url === undefined ? undefined : new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  const closing = new AbortController();
  let closed = false;

  async function attempt(body: string, headers: Record<string, string>, n: number): Promise<Failure | undefined> {
    try {
      const res = await request(url as URL, {
        method: 'POST',
        dispatcher: agent,
        headers: { ...headers, [WebhookHeader.attempt]: String(n) },
        body,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return undefined;
      return { retryable: RETRYABLE_STATUS.has(res.statusCode), reason: `webhook answered ${res.statusCode}`, status: res.statusCode };
    } catch (err) {
      return { retryable: !closing.signal.aborted, reason: `webhook request failed: ${(err as Error).message}`, cause: err };
    }
  }

  async function deliver(alert: DefectAlert): Promise<void> {
    const body = JSON.stringify(alert);
    const attrs = alertAttributes(alert);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [WebhookHeader.alertId]: attrs.alertId,
      [WebhookHeader.jobId]: attrs.jobId,
      [WebhookHeader.kind]: attrs.kind,
      [WebhookHeader.defectType]: attrs.defectType,
    };
    if (options.webhookSecret !== undefined) headers[WebhookHeader.signature] = signWebhookBody(body, options.webhookSecret);
    for (let n = 1; ; n++) {
      const failure = await attempt(body, headers, n);
      if (failure === undefined) return;
      const fields = { alertId: alert.alertId, attempt: n, status: failure.status, err: failure.cause };
      if (!failure.retryable || n >= retry.maxAttempts) {
        logger.warn(fields, 'defect alert not delivered to the webhook');
        throw new NotifyUnavailableError(`alert ${alert.alertId} not delivered after ${n} attempt(s): ${failure.reason}`, {
          cause: failure.cause,
          detail: { alertId: alert.alertId, attempts: n, ...(failure.status === undefined ? {} : { status: failure.status }) },
        });
      }
      logger.debug(fields, 'webhook delivery failed; retrying');
      try {
        await sleep(backoff(n, retry), undefined, { signal: closing.signal });
      } catch {
        throw new NotifyUnavailableError(`alert ${alert.alertId} not delivered: notifier closed`, { detail: { alertId: alert.alertId, attempts: n } });
      }
    }
  }

  return {
    async publish(alert) {
      if (closed) throw new NotifyUnavailableError('notifier is closed', { detail: { alertId: alert?.alertId } });
      assertValidAlert(alert);
      const attrs = alertAttributes(alert);
      logger.info({ ...attrs, at: alert.at, startSec: alert.event.startSec, endSec: alert.event.endSec, confidence: alert.event.confidence }, `defect ${alert.kind}`);
      if (url !== undefined) await deliver(alert);
    },
    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      await agent?.close();
    },
  };
}

function parseWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new ConfigError('notify: webhookUrl is not a valid URL', { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`notify: webhookUrl must be http(s), not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new ConfigError('notify: webhookUrl must not carry credentials; use webhookSecret');
  return url;
}

/** Exponential back-off with "equal jitter": half fixed so it grows, half random so senders spread. */
function backoff(failedAttempt: number, retry: Required<WebhookRetryPolicy>): number {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failedAttempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}
