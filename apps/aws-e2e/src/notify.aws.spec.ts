/**
 * The SNS Notifier against the loopback SNS server, through the fault proxy, with an http
 * subscriber receiving what a consumer would (DESIGN.md "Storage"; RELIABILITY R9–R12).
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { startFaultProxy, startSnsServer } from '@framewatch/emulators';
import type { FaultProxy, RunningSnsServer } from '@framewatch/emulators';
import { failureOf } from '@framewatch/errors/testing';
import { createLogger } from '@framewatch/observability';
import { createNotifyingListener, toAlert } from '@framewatch/notify';
import type { DefectAlert } from '@framewatch/notify';
import { createSnsNotifier } from '@framewatch/notify/aws';
import { describeNotifierConformance, sampleDefectEvent } from '@framewatch/notify/testing';
import type { ReceivedAlert } from '@framewatch/notify/testing';
import { startSnsSubscriber } from './sns-subscriber';
import type { SnsHit, SnsSubscriber } from './sns-subscriber';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const MAX_ATTEMPTS = 3;

let sns: RunningSnsServer;
let proxy: FaultProxy;
let subscriber: SnsSubscriber;
/** Through the fault proxy: what the app's client would be. */
let client: SNSClient;
/** Straight to the server, for set-up that must not consume faults. */
let admin: SNSClient;
let topicArn: string;

function clientVia(endpoint: string, overrides: { maxAttempts?: number; requestTimeout?: number } = {}): SNSClient {
  return new SNSClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: overrides.maxAttempts ?? MAX_ATTEMPTS,
    requestHandler: { requestTimeout: overrides.requestTimeout ?? 2000, throwOnRequestTimeout: true },
  });
}

function toReceived(hit: SnsHit): ReceivedAlert {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(hit.envelope.MessageAttributes ?? {})) attributes[name] = value.Value;
  return { alert: JSON.parse(hit.envelope.Message) as DefectAlert, attributes };
}


beforeAll(async () => {
  sns = await startSnsServer();
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: sns.port } });
  subscriber = await startSnsSubscriber();
  client = clientVia(proxy.endpoint);
  admin = clientVia(sns.endpoint);
  topicArn = (await admin.send(new CreateTopicCommand({ Name: 'framewatch-alerts' }))).TopicArn as string;
  await admin.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }));
});

afterAll(async () => {
  client?.destroy();
  admin?.destroy();
  await proxy?.close();
  await sns?.stop();
  await subscriber?.close();
});

/** Waits out deliveries of earlier tests, then clears the subscriber and the proxy. */
async function fresh(): Promise<void> {
  await sns.settled();
  subscriber.reset();
  proxy.reset({ clearStats: true });
}

describeNotifierConformance(
  'SNS topic (loopback SNS server, http subscriber)',
  async () => {
    await fresh();
    return createSnsNotifier({ client, topicArn });
  },
  async (count) => (await subscriber.waitFor(count)).map(toReceived),
  { loseNextAck: () => proxy.dropNextResponses(1) },
);

describe('createSnsNotifier under faults', () => {
  const alert = toAlert('an-sns', 'opened', sampleDefectEvent({ type: 'silence' }), new Date('2030-01-01T00:00:00Z'));
  beforeEach(fresh);

  it('publishes the alert JSON with String MessageAttributes a filter policy can use', async () => {
    const before = sns.published().length;
    await createSnsNotifier({ client, topicArn }).publish(alert);
    const [message] = sns.published().slice(before);
    expect(JSON.parse(message.message)).toEqual(alert);
    expect(message.messageAttributes).toEqual({
      alertId: { dataType: 'String', stringValue: alert.alertId },
      jobId: { dataType: 'String', stringValue: 'an-sns' },
      kind: { dataType: 'String', stringValue: 'opened' },
      defectType: { dataType: 'String', stringValue: 'silence' },
    });
  });

  it('R9: a publish whose response is lost is retried by the SDK; both copies carry one alertId, so a consumer keeps one', async () => {
    const before = sns.published().length;
    proxy.dropNextResponses(1);
    await createSnsNotifier({ client, topicArn }).publish(alert);
    expect(proxy.stats()).toMatchObject({ requests: 2, drops: 1 });
    const copies = sns.published().slice(before);
    expect(copies).toHaveLength(2);
    expect(copies[0].messageId).not.toBe(copies[1].messageId); // SNS itself sees two messages
    expect(copies.map((m) => m.messageAttributes['alertId'].stringValue)).toEqual([alert.alertId, alert.alertId]);
    const hits = await subscriber.waitFor(2);
    const deduped = new Map(hits.map((h) => [h.envelope.MessageAttributes?.['alertId']?.Value, toReceived(h).alert]));
    expect([...deduped.keys()]).toEqual([alert.alertId]);
    expect(deduped.get(alert.alertId)).toEqual(alert);
  });

  it(`R10: ${MAX_ATTEMPTS - 1} connection resets then success; exactly ${MAX_ATTEMPTS} attempts and one message`, async () => {
    const before = sns.published().length;
    proxy.resetNext(MAX_ATTEMPTS - 1);
    await createSnsNotifier({ client, topicArn }).publish(alert);
    expect(proxy.stats()).toMatchObject({ requests: MAX_ATTEMPTS, resets: MAX_ATTEMPTS - 1, forwarded: 1 });
    expect(sns.published().length - before).toBe(1);
  });

  it(`R10: ${MAX_ATTEMPTS} resets exhaust the attempts: UNAVAILABLE with attempts = ${MAX_ATTEMPTS}, nothing published`, async () => {
    const before = sns.published().length;
    proxy.resetNext(MAX_ATTEMPTS);
    const err = await failureOf(createSnsNotifier({ client, topicArn }).publish(alert));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.detail).toMatchObject({ alertId: alert.alertId, attempts: MAX_ATTEMPTS });
    expect(proxy.stats()).toMatchObject({ requests: MAX_ATTEMPTS, resets: MAX_ATTEMPTS });
    expect(sns.published().length).toBe(before);
  });

  it('R11: a black-holed endpoint fails with UNAVAILABLE within the configured request timeouts', async () => {
    const impatient = clientVia(proxy.endpoint, { maxAttempts: 2, requestTimeout: 300 });
    proxy.blackHole(true);
    try {
      const started = Date.now();
      const err = await failureOf(createSnsNotifier({ client: impatient, topicArn }).publish(alert));
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.detail).toMatchObject({ awsError: 'TimeoutError', attempts: 2 });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      proxy.blackHole(false);
      impatient.destroy();
    }
  });

  it('R12: an unknown topic (NotFound) is not retried: exactly one attempt, UNAVAILABLE naming the AWS error', async () => {
    const missing = topicArn.replace(/[^:]+$/, 'no-such-topic');
    const err = await failureOf(createSnsNotifier({ client, topicArn: missing }).publish(alert));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.detail).toMatchObject({ awsError: 'NotFoundException', attempts: 1, topicArn: missing });
    expect(proxy.stats()).toMatchObject({ requests: 1, forwarded: 1 });
  });

  it('R12: an alert SNS refuses as too large is USAGE after exactly one attempt', async () => {
    const huge = toAlert('an-sns', 'opened', sampleDefectEvent({ detail: { note: 'x'.repeat(300 * 1024) } }));
    const err = await failureOf(createSnsNotifier({ client, topicArn }).publish(huge));
    expect(err.code).toBe('USAGE');
    expect(err.detail).toMatchObject({ awsError: 'InvalidParameterException', attempts: 1 });
    expect(proxy.stats().requests).toBe(1);
  });
});

describe('createNotifyingListener over SNS', () => {
  beforeEach(fresh);

  it('turns defect callbacks into alerts that reach the subscriber in order, through a lost ack', async () => {
    const logger = createLogger({ name: 'notify-e2e', level: 'silent' });
    const listener = createNotifyingListener(createSnsNotifier({ client, topicArn }), logger);
    const black = sampleDefectEvent({ type: 'black', startSec: 1, endSec: 1 });
    const freeze = sampleDefectEvent({ type: 'freeze', startSec: 4, endSec: 4 });
    proxy.dropNextResponses(1);
    listener.onDefectOpened?.('an-listen', black);
    listener.onDefectOpened?.('an-listen', freeze);
    listener.onDefectClosed?.('an-listen', { ...black, endSec: 3 });
    listener.onDefectClosed?.('an-listen', { ...freeze, endSec: 6 });
    await listener.flush();
    const hits = await subscriber.waitFor(5);
    const alerts = hits.map((h) => toReceived(h).alert);
    const firstSeen = [...new Map(alerts.map((a) => [a.alertId, a])).values()];
    expect(firstSeen.map((a) => [a.kind, a.event.type])).toEqual([
      ['opened', 'black'],
      ['opened', 'freeze'],
      ['closed', 'black'],
      ['closed', 'freeze'],
    ]);
    expect(alerts[0].alertId).toBe(alerts[1].alertId); // the lost ack's duplicate, deduplicable
  });
});
