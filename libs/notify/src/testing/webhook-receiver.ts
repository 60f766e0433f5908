import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertAttributes } from '../alert';
import { WebhookHeader, verifyWebhookSignature } from '../log-notifier';
import type { DefectAlert } from '../notifier';

/** One webhook request the receiver accepted (recorded as processed). */
export interface ReceivedWebhook {
  alert: DefectAlert;
  /** The alert attributes as carried by the {@link WebhookHeader} headers. */
  attributes: Partial<AlertAttributes>;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the signature header matched, when the receiver was given a secret. */
  signatureValid?: boolean;
}

/** A loopback HTTP server that plays a webhook consumer, with faults on demand. */
export interface WebhookReceiver {
  /** The URL to give `createLogNotifier({ webhookUrl })`. */
  url: string;
  /** Every accepted delivery so far, in arrival order. */
  received(): ReceivedWebhook[];
  /** Resolves with every accepted delivery once there are at least `count`; rejects after `timeoutMs` (5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Total requests seen, rejected ones included. */
  requestCount(): number;
  /** Answers the next `n` requests with `status` (503 by default) without recording them. */
  failNext(n: number, status?: number): void;
  /** Records the next `n` requests, then destroys the connection instead of answering: a lost acknowledgement. */
  loseNextAcks(n: number): void;
  /** Holds the next `n` requests without ever answering (until close): a receiver that hangs. */
  hangNext(n: number): void;
  /** Forgets deliveries, counts and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a {@link WebhookReceiver} on 127.0.0.1 (an ephemeral port).
 *
 * @example
 * const receiver = await startWebhookReceiver({ secret });
 * const notifier = createLogNotifier({ logger, webhookUrl: receiver.url, webhookSecret: secret });
 */
export async function startWebhookReceiver(options: { secret?: string } = {}): Promise<WebhookReceiver> {
  let deliveries: ReceivedWebhook[] = [];
  let requests = 0;
  let fail: { n: number; status: number } = { n: 0, status: 503 };
  let lose = 0;
  let hang = 0;
  let waiters: Array<() => void> = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      if (hang > 0) {
        hang--;
        return;
      }
      if (fail.n > 0) {
        fail.n--;
        res.writeHead(fail.status).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      let alert: DefectAlert;
      try {
        alert = JSON.parse(body) as DefectAlert;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      deliveries.push({
        alert,
        attributes: {
          alertId: header(WebhookHeader.alertId),
          jobId: header(WebhookHeader.jobId),
          kind: header(WebhookHeader.kind) as AlertAttributes['kind'] | undefined,
          defectType: header(WebhookHeader.defectType),
        },
        headers: req.headers,
        body,
        ...(options.secret === undefined ? {} : { signatureValid: verifyWebhookSignature(body, req.headers[WebhookHeader.signature], options.secret) }),
      });
      for (const wake of waiters) wake();
      if (lose > 0) {
        lose--;
        req.socket.destroy();
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/framewatch`,
    received: () => [...deliveries],
    requestCount: () => requests,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (deliveries.length < count) return false;
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== check);
          resolve([...deliveries]);
          return true;
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`webhook receiver: ${deliveries.length} of ${count} deliveries after ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.push(check);
      });
    },
    failNext(n, status = 503) {
      fail = { n, status };
    },
    loseNextAcks(n) {
      lose = n;
    },
    hangNext(n) {
      hang = n;
    },
    reset() {
      deliveries = [];
      requests = 0;
      fail = { n: 0, status: 503 };
      lose = 0;
      hang = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
