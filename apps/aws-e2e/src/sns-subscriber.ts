import { createServer } from 'node:http';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { LOCAL_AWS_CREDENTIALS } from '@framewatch/emulators';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The JSON envelope SNS POSTs to an http(s) subscriber for each message. */
export interface SnsEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** One POST the subscriber received. */
export interface SnsHit {
  envelope: SnsEnvelope;
  headers: IncomingHttpHeaders;
}

/** A loopback http endpoint subscribed to a topic: what a consumer of alerts would run. */
export interface SnsSubscriber {
  url: string;
  hits(): SnsHit[];
  /** Resolves with every hit once there are at least `count`; rejects after `timeoutMs` (5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<SnsHit[]>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts an {@link SnsSubscriber} on 127.0.0.1. It answers 200 to every Notification and keeps
 * it, in arrival order.
 *
 * @example
 * const subscriber = await startSnsSubscriber();
 * await admin.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url }));
 */
export async function startSnsSubscriber(): Promise<SnsSubscriber> {
  let hits: SnsHit[] = [];
  let waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        hits.push({ envelope: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnsEnvelope, headers: req.headers });
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200).end();
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    hits: () => [...hits],
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (hits.length < count) return;
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== check);
          resolve([...hits]);
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`SNS subscriber: ${hits.length} of ${count} notifications after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    reset() {
      hits = [];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A started {@link SnsSubscriber} subscribed over http to the alerts topic of the local AWS
 * servers whose `FRAMEWATCH_*` settings are `env` (`startLocalAws().env`).
 */
export async function subscribeToAlerts(env: Record<string, string>): Promise<SnsSubscriber> {
  const subscriber = await startSnsSubscriber();
  const sns = new SNSClient({ region: 'us-east-1', endpoint: env['FRAMEWATCH_SNS_ENDPOINT'], credentials: LOCAL_AWS_CREDENTIALS });
  try {
    await sns.send(new SubscribeCommand({ TopicArn: env['FRAMEWATCH_ALERTS_TOPIC_ARN'], Protocol: 'http', Endpoint: subscriber.url }));
  } finally {
    sns.destroy();
  }
  return subscriber;
}
