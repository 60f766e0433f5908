import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
  paginateListTopics,
} from '@aws-sdk/client-sns';
import { startSnsServer } from './sns';
import type { RunningSnsServer } from './sns';

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP endpoint that records what SNS POSTs to it; answers `statuses` in turn, then 200. */
async function startSubscriber(statuses: number[] = []): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number; attempts?: number } };
  }
  throw new Error('expected the call to fail');
}

describe('startSnsServer driven by the AWS SDK v3 SNS client', () => {
  let sns: RunningSnsServer;
  let client: SNSClient;
  beforeEach(async () => {
    sns = await startSnsServer({ accountId: '123456789012' });
    client = new SNSClient({ endpoint: sns.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 });
  });
  afterEach(async () => {
    client.destroy();
    await sns.stop();
  });

  const createTopic = async (name: string): Promise<string> => (await client.send(new CreateTopicCommand({ Name: name }))).TopicArn as string;

  it('creates topics idempotently by name and lists them across pages', async () => {
    const arn = await createTopic('alerts');
    expect(arn).toBe('arn:aws:sns:us-east-1:123456789012:alerts');
    expect(await createTopic('alerts')).toBe(arn);
    for (let i = 0; i < 120; i++) await createTopic(`t-${i}`);
    const listed: string[] = [];
    for await (const page of paginateListTopics({ client }, {})) listed.push(...(page.Topics ?? []).map((t) => t.TopicArn as string));
    expect(listed).toHaveLength(121);
    expect(new Set(listed).size).toBe(121);
    expect(listed).toContain(arn);
    expect(sns.requests().filter((r) => r.action === 'ListTopics')).toHaveLength(2);
  });

  it('delivers a published message to an http subscriber as an SNS Notification envelope with its attributes', async () => {
    const subscriber = await startSubscriber();
    try {
      const topicArn = await createTopic('alerts');
      const { SubscriptionArn } = await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url, ReturnSubscriptionArn: true }));
      expect(SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:alerts:[0-9a-f-]{36}$/);
      const message = JSON.stringify({ hello: 'wörld ✓ & <xml>', plus: 'a+b=c' });
      const { MessageId } = await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: message,
          Subject: 'defect',
          MessageAttributes: {
            alertId: { DataType: 'String', StringValue: 'al-1' },
            count: { DataType: 'Number', StringValue: '3' },
            blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 255]) },
          },
        }),
      );
      expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
      await sns.settled();
      expect(subscriber.hits).toHaveLength(1);
      const [hit] = subscriber.hits;
      expect(hit.headers['x-amz-sns-message-type']).toBe('Notification');
      expect(hit.headers['x-amz-sns-subscription-arn']).toBe(SubscriptionArn);
      const envelope = JSON.parse(hit.body);
      expect(envelope).toMatchObject({
        Type: 'Notification',
        MessageId,
        TopicArn: topicArn,
        Subject: 'defect',
        Message: message,
        MessageAttributes: { alertId: { Type: 'String', Value: 'al-1' }, count: { Type: 'Number', Value: '3' }, blob: { Type: 'Binary', Value: 'AQL/' } },
      });
      expect(new Date(envelope.Timestamp).toISOString()).toBe(envelope.Timestamp);
      expect(sns.published()).toEqual([
        expect.objectContaining({ messageId: MessageId, topicArn: topicArn, message, subject: 'defect', messageAttributes: expect.objectContaining({ alertId: { dataType: 'String', stringValue: 'al-1' } }) }),
      ]);
      expect(sns.deliveries()).toEqual([expect.objectContaining({ messageId: MessageId, ok: true, attempts: 1, status: 200 })]);
    } finally {
      await subscriber.close();
    }
  });

  it('delivers to one subscriber in publish order', async () => {
    const subscriber = await startSubscriber();
    try {
      const topicArn = await createTopic('ordered');
      await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }));
      for (let i = 0; i < 15; i++) await client.send(new PublishCommand({ TopicArn: topicArn, Message: `m${i}` }));
      await sns.settled();
      expect(subscriber.hits.map((h) => JSON.parse(h.body).Message)).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
    } finally {
      await subscriber.close();
    }
  });

  it('retries a delivery the subscriber answered with 500, and stops after unsubscribe', async () => {
    const subscriber = await startSubscriber([500]);
    try {
      const topicArn = await createTopic('retry');
      const { SubscriptionArn } = await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }));
      await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'once' }));
      await sns.settled();
      expect(subscriber.hits.map((h) => JSON.parse(h.body).Message)).toEqual(['once', 'once']);
      expect(sns.deliveries()).toEqual([expect.objectContaining({ ok: true, attempts: 2 })]);

      await client.send(new UnsubscribeCommand({ SubscriptionArn }));
      await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'after' }));
      await sns.settled();
      expect(subscriber.hits).toHaveLength(2);
      const err = await rejection(client.send(new UnsubscribeCommand({ SubscriptionArn })));
      expect(err.name).toBe('NotFoundException');
    } finally {
      await subscriber.close();
    }
  });

  it('applies RawMessageDelivery and exact-match FilterPolicy subscription attributes', async () => {
    const raw = await startSubscriber();
    const closedOnly = await startSubscriber();
    try {
      const topicArn = await createTopic('filtered');
      await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: raw.url, Attributes: { RawMessageDelivery: 'true' } }));
      await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: closedOnly.url, Attributes: { FilterPolicy: JSON.stringify({ kind: ['closed'] }) } }));
      for (const kind of ['opened', 'closed']) {
        await client.send(new PublishCommand({ TopicArn: topicArn, Message: `alert ${kind}`, MessageAttributes: { kind: { DataType: 'String', StringValue: kind } } }));
      }
      await sns.settled();
      expect(raw.hits.map((h) => h.body)).toEqual(['alert opened', 'alert closed']);
      expect(closedOnly.hits.map((h) => JSON.parse(h.body).Message)).toEqual(['alert closed']);
      const { Subscriptions } = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
      expect(Subscriptions?.map((s) => s.Endpoint).sort()).toEqual([raw.url, closedOnly.url].sort());
      const err = await rejection(
        client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: raw.url, Attributes: { FilterPolicy: JSON.stringify({ kind: [{ prefix: 'c' }] }) } })),
      );
      expect(err.name).toBe('InvalidParameterException');
    } finally {
      await raw.close();
      await closedOnly.close();
    }
  });

  it('answers NotFound (404) for an unknown topic, which the SDK does not retry', async () => {
    const err = await rejection(client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'x' })));
    expect(err.name).toBe('NotFoundException');
    expect(err.message).toBe('Topic does not exist');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 404, attempts: 1 });
    expect(sns.requests()).toEqual([{ action: 'Publish', status: 404, errorCode: 'NotFound' }]);
    expect((await rejection(client.send(new SubscribeCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Protocol: 'http', Endpoint: 'http://127.0.0.1:1/' })))).name).toBe(
      'NotFoundException',
    );
  });

  it('answers InvalidParameter for bad input, as SNS does', async () => {
    const topicArn = await createTopic('strict');
    const cases: Array<[Promise<unknown>, string]> = [
      [client.send(new PublishCommand({ TopicArn: topicArn, Message: '' })), 'InvalidParameterException'],
      [client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x'.repeat(256 * 1024 + 1) })), 'InvalidParameterException'],
      [client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageGroupId: 'g' })), 'InvalidParameterException'],
      [client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } } })), 'InvalidParameterValueException'],
      [client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'many' } } })), 'InvalidParameterValueException'],
      [client.send(new CreateTopicCommand({ Name: 'bad name!' })), 'InvalidParameterException'],
      [client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:1:q' })), 'InvalidParameterException'],
      [client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'https', Endpoint: 'http://127.0.0.1/' })), 'InvalidParameterException'],
    ];
    for (const [call, name] of cases) {
      const err = await rejection(call);
      expect(err.name).toBe(name);
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    expect(sns.published()).toEqual([]);
  });

  it('deletes topics, and answers InvalidAction for an action it does not implement', async () => {
    const topicArn = await createTopic('gone');
    await client.send(new DeleteTopicCommand({ TopicArn: topicArn }));
    expect((await rejection(client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })))).name).toBe('NotFoundException');
    const res = await fetch(sns.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=PublishBatch&Version=2010-03-31' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<Code>InvalidAction<\/Code>/);
  });

  it('unsubscribes through the UnsubscribeURL carried by an envelope', async () => {
    const subscriber = await startSubscriber();
    try {
      const topicArn = await createTopic('unsub');
      await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }));
      await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'first' }));
      await sns.settled();
      const res = await fetch(JSON.parse(subscriber.hits[0].body).UnsubscribeURL);
      expect(res.status).toBe(200);
      await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'second' }));
      await sns.settled();
      expect(subscriber.hits).toHaveLength(1);
    } finally {
      await subscriber.close();
    }
  });
});
