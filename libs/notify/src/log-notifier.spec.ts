import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { failureOf } from '@framewatch/errors/testing';
import { toAlert } from './alert';
import { WebhookHeader, createLogNotifier, signWebhookBody, verifyWebhookSignature } from './log-notifier';
import type { Notifier } from './notifier';
import { memoryLogger } from './spec-helpers';
import { describeNotifierConformance, sampleDefectEvent, startWebhookReceiver } from './testing';
import type { WebhookReceiver } from './testing';

const secret = 'test-secret-0123456789abcdef';
const fast = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const alert = toAlert('an-hook', 'opened', sampleDefectEvent(), new Date('2030-01-01T00:00:00Z'));

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret });
});
afterAll(async () => {
  await receiver.close();
});

describeNotifierConformance(
  'log + webhook',
  () => {
    receiver.reset();
    return createLogNotifier({ logger: memoryLogger().logger, webhookUrl: receiver.url, webhookSecret: secret, retry: fast });
  },
  async (count) => (await receiver.waitFor(count)).map(({ alert: a, attributes }) => ({ alert: a, attributes })),
  { loseNextAck: () => receiver.loseNextAcks(1) },
);


describe('createLogNotifier with a webhook', () => {
  let notifier: Notifier;
  let log: ReturnType<typeof memoryLogger>;
  beforeEach(() => {
    receiver.reset();
    log = memoryLogger();
    notifier = createLogNotifier({ logger: log.logger, webhookUrl: receiver.url, webhookSecret: secret, retry: fast, timeoutMs: 1000 });
  });
  afterEach(async () => {
    await notifier.close();
  });

  it('signs the exact body with HMAC-SHA256 so a receiver can tell a forged or altered body', async () => {
    await notifier.publish(alert);
    const [got] = await receiver.waitFor(1);
    expect(got.signatureValid).toBe(true);
    expect(got.headers[WebhookHeader.signature]).toBe(signWebhookBody(got.body, secret));
    expect(got.headers['content-type']).toBe('application/json');
    expect(verifyWebhookSignature(got.body.replace('an-hook', 'an-evil'), got.headers[WebhookHeader.signature], secret)).toBe(false);
    expect(verifyWebhookSignature(got.body, got.headers[WebhookHeader.signature], 'another-secret-0123456789')).toBe(false);
    expect(verifyWebhookSignature(got.body, undefined, secret)).toBe(false);
  });

  it('retries 503s with back-off and succeeds on the third attempt, sending the same id each time', async () => {
    receiver.failNext(2, 503);
    await notifier.publish(alert);
    const [got] = await receiver.waitFor(1);
    expect(receiver.requestCount()).toBe(3);
    expect(got.headers[WebhookHeader.attempt]).toBe('3');
    expect(got.attributes.alertId).toBe(alert.alertId);
  });

  it('gives up after maxAttempts with UNAVAILABLE and logs the failure', async () => {
    receiver.failNext(10, 502);
    const err = await failureOf(notifier.publish(alert));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.detail).toMatchObject({ alertId: alert.alertId, attempts: 3, status: 502 });
    expect(receiver.requestCount()).toBe(3);
    expect(log.lines().some((l) => l.msg === 'defect alert not delivered to the webhook' && l.level === 40)).toBe(true);
  });

  it('does not retry a 4xx: exactly one attempt', async () => {
    receiver.failNext(1, 400);
    const err = await failureOf(notifier.publish(alert));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.detail).toMatchObject({ attempts: 1, status: 400 });
    expect(receiver.requestCount()).toBe(1);
  });

  it('times out a receiver that never answers, within the per-attempt deadline', async () => {
    const slow = createLogNotifier({ logger: log.logger, webhookUrl: receiver.url, timeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 5 } });
    receiver.hangNext(5);
    const started = Date.now();
    const err = await failureOf(slow.publish(alert));
    await slow.close();
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.detail).toMatchObject({ attempts: 2 });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports an unreachable receiver as UNAVAILABLE after its retries', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const dead = createLogNotifier({ logger: log.logger, webhookUrl: `http://127.0.0.1:${port}/`, retry: fast });
    const err = await failureOf(dead.publish(alert));
    await dead.close();
    expect(err).toMatchObject({ code: 'UNAVAILABLE', detail: { attempts: 3 } });
  });

  it('does not follow redirects', async () => {
    receiver.failNext(1, 307);
    const err = await failureOf(notifier.publish(alert));
    expect(err.detail).toMatchObject({ attempts: 1, status: 307 });
  });

  it('refuses to publish after close', async () => {
    await notifier.close();
    expect((await failureOf(notifier.publish(alert))).code).toBe('UNAVAILABLE');
    expect(receiver.requestCount()).toBe(0);
  });
});

describe('createLogNotifier without a webhook', () => {
  it('logs each alert with its id, job, kind and defect type', async () => {
    const log = memoryLogger();
    const notifier = createLogNotifier({ logger: log.logger });
    await notifier.publish(alert);
    await notifier.close();
    expect(log.lines()).toEqual([
      expect.objectContaining({ level: 30, msg: 'defect opened', alertId: alert.alertId, jobId: 'an-hook', kind: 'opened', defectType: 'black', startSec: 5 }),
    ]);
  });

  it.each([
    ['a secret without a URL', { webhookSecret: secret }],
    ['a non-http URL', { webhookUrl: 'file:///etc/passwd' }],
    ['a URL that is not one', { webhookUrl: 'not a url' }],
    ['credentials in the URL', { webhookUrl: 'https://user:pw@example.com/' }],
    ['a short secret', { webhookUrl: 'https://example.com/', webhookSecret: 'short' }],
    ['zero attempts', { webhookUrl: 'https://example.com/', retry: { maxAttempts: 0 } }],
  ])('fails fast with CONFIG_INVALID on %s', (_label, options) => {
    expect(() => createLogNotifier({ logger: memoryLogger().logger, ...options })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
