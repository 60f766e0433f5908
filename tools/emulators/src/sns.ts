/**
 * A small SNS-compatible server on loopback, for the SNS adapters' tests (DESIGN.md "Storage":
 * real AWS-API servers, never only mocks). We write our own because no light emulator exists on
 * npm: `serverless-offline-sns` drags in the whole `serverless` framework (TOOLCHAIN.md).
 *
 * It speaks the awsQuery protocol the AWS SDK v3 SNS client uses (form-encoded POST, XML answers
 * in the `http://sns.amazonaws.com/doc/2010-03-31/` namespace, `<ErrorResponse>` errors with the
 * codes the SDK maps to its exception classes) for: CreateTopic, DeleteTopic, ListTopics,
 * Subscribe, Unsubscribe, ListSubscriptionsByTopic, Publish.
 *
 * Known differences from real SNS (kept on purpose, or not needed by Framewatch):
 * - Requests are not authenticated: SigV4 signatures are neither checked nor required, and every
 *   caller acts as `accountId`. Deliveries to subscribers are **not signed** either: envelopes
 *   carry `SignatureVersion`/`Signature`/`SigningCertURL` only as empty placeholders, so a
 *   consumer that verifies SNS signatures must switch that off against the emulator.
 * - http(s) subscriptions are confirmed at once: no `SubscriptionConfirmation` message is sent and
 *   no `ConfirmSubscription` round trip happens. Real SNS first POSTs a SubscriptionConfirmation
 *   with a `SubscribeURL` the endpoint must GET, and `Subscribe` answers "pending confirmation".
 * - Only `http`/`https` subscriptions (no SQS, Lambda, email, SMS, mobile push). Subscription
 *   attributes: `RawMessageDelivery` and a `FilterPolicy` of exact string/number matches on
 *   message attributes; other attributes and filter operators are refused with InvalidParameter.
 * - No FIFO topics, no topic attributes, tags, data protection or PublishBatch (unknown actions
 *   answer InvalidAction). CreateTopic is idempotent by name and ignores attributes.
 * - Delivery is asynchronous (after Publish answers), serial per subscription, so one subscriber
 *   sees messages in publish order (real standard topics do not promise order), with 3 attempts
 *   50 ms apart (real SNS's default http policy retries for much longer).
 * - Limits checked: message and attributes 256 KiB in all, 10 attributes, attribute data types.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link startSnsServer}. */
export interface SnsServerOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Region in ARNs; `us-east-1` by default. */
  region?: string;
  /** Account id in ARNs; `000000000000` by default. */
  accountId?: string;
  /** Attempts per delivery to an http(s) subscriber; 3 by default. */
  deliveryAttempts?: number;
}

/** One message attribute as SNS stores it. */
export interface SnsMessageAttribute {
  /** `String`, `String.Array`, `Number` or `Binary` (optionally with a `.custom` suffix). */
  dataType: string;
  stringValue?: string;
  /** Base64, as it arrived on the wire. */
  binaryValue?: string;
}

/** A message accepted by Publish. */
export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  message: string;
  subject?: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  /** ISO-8601 time it was accepted. */
  timestamp: string;
}

/** One delivery of one message to one subscription, after its last attempt. */
export interface SnsDelivery {
  messageId: string;
  subscriptionArn: string;
  endpoint: string;
  attempts: number;
  /** The subscriber's last HTTP status, or undefined when it could not be reached. */
  status?: number;
  ok: boolean;
}

/** One request the server answered (for counting attempts in tests). */
export interface SnsRequestRecord {
  action: string;
  /** The HTTP status it answered. */
  status: number;
  /** The SNS error code, for an error answer. */
  errorCode?: string;
}

/** A running SNS-compatible server. */
export interface RunningSnsServer {
  /** `http://127.0.0.1:<port>`: the SNS client's `endpoint`. */
  endpoint: string;
  port: number;
  /** Every message Publish accepted, in order. */
  published(): PublishedMessage[];
  /** Every finished delivery to a subscriber, in completion order. */
  deliveries(): SnsDelivery[];
  /** Every request answered, in order. */
  requests(): SnsRequestRecord[];
  /** Resolves once every delivery queued so far has finished (delivered or given up). */
  settled(): Promise<void>;
  /** Stops listening, abandons pending deliveries and closes every connection. Idempotent. */
  stop(): Promise<void>;
}

/** The XML namespace of every SNS answer (the SDK checks element names, not the namespace). */
export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;
const MAX_BODY_BYTES = 1024 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/i;
const DATA_TYPE = /^(String|String\.Array|Number|Binary)(\.[A-Za-z0-9_-]+)?$/;

interface Subscription {
  arn: string;
  topicArn: string;
  protocol: 'http' | 'https';
  endpoint: string;
  raw: boolean;
  filterPolicy?: Record<string, Array<string | number>>;
  /** Tail of this subscription's delivery chain: deliveries are serial per subscription. */
  chain: Promise<void>;
}

/** An error answered as an SNS `<ErrorResponse>`. */
class SnsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const invalid = (message: string): SnsFault => new SnsFault('InvalidParameter', `Invalid parameter: ${message}`);

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function respond(action: string, result: string | undefined, requestId: string): string {
  const body = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return (
    `<${action}Response xmlns="${SNS_XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/**
 * Reads awsQuery maps: `Prefix.entry.N.<key>` / `Prefix.entry.N.<value>[.<field>]`, N from 1.
 * Returns the entries in N order, each with its key and a record of the value's fields.
 */
function readEntries(params: URLSearchParams, prefix: string, keyName: string, valueName: string): Array<{ key: string; value: Record<string, string> }> {
  const byIndex = new Map<number, { key?: string; value: Record<string, string> }>();
  const head = `${prefix}.entry.`;
  for (const [name, value] of params) {
    if (!name.startsWith(head)) continue;
    const rest = name.slice(head.length);
    const dot = rest.indexOf('.');
    const index = Number(rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) throw invalid(`${name} is not a valid map entry`);
    const field = rest.slice(dot + 1);
    const entry = byIndex.get(index) ?? { value: {} };
    byIndex.set(index, entry);
    if (field === keyName) entry.key = value;
    else if (field === valueName) entry.value[''] = value;
    else if (field.startsWith(`${valueName}.`)) entry.value[field.slice(valueName.length + 1)] = value;
    else throw invalid(`${name} is not a valid map entry`);
  }
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, entry]) => {
      if (entry.key === undefined) throw invalid(`${head}${index}.${keyName} is missing`);
      return { key: entry.key, value: entry.value };
    });
}

function readMessageAttributes(params: URLSearchParams): Record<string, SnsMessageAttribute> {
  const out: Record<string, SnsMessageAttribute> = {};
  for (const { key, value } of readEntries(params, 'MessageAttributes', 'Name', 'Value')) {
    if (!ATTRIBUTE_NAME.test(key)) throw invalid(`MessageAttributes: the name ${JSON.stringify(key)} is not valid`);
    if (key in out) throw invalid(`MessageAttributes: the name ${key} appears twice`);
    const dataType = value['DataType'];
    if (dataType === undefined || !DATA_TYPE.test(dataType)) {
      throw new SnsFault('ParameterValueInvalid', `The message attribute '${key}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const attribute: SnsMessageAttribute = { dataType };
    if (dataType.startsWith('Binary')) {
      const binary = value['BinaryValue'];
      if (binary === undefined || binary.length === 0) throw new SnsFault('ParameterValueInvalid', `The message attribute '${key}' must contain non-empty message attribute value for message attribute type 'Binary'.`);
      attribute.binaryValue = binary;
    } else {
      const text = value['StringValue'];
      if (text === undefined || text.length === 0) throw new SnsFault('ParameterValueInvalid', `The message attribute '${key}' must contain non-empty message attribute value for message attribute type '${dataType.split('.')[0]}'.`);
      if (dataType.startsWith('Number') && !Number.isFinite(Number(text))) throw new SnsFault('ParameterValueInvalid', `The message attribute '${key}' has an invalid number value.`);
      if (dataType.startsWith('String.Array')) {
        try {
          if (!Array.isArray(JSON.parse(text))) throw new Error('not an array');
        } catch {
          throw new SnsFault('ParameterValueInvalid', `The message attribute '${key}' with type 'String.Array' must be a JSON array.`);
        }
      }
      attribute.stringValue = text;
    }
    out[key] = attribute;
  }
  if (Object.keys(out).length > MAX_ATTRIBUTES) throw invalid(`MessageAttributes: at most ${MAX_ATTRIBUTES} attributes`);
  return out;
}

function parseFilterPolicy(text: string): Record<string, Array<string | number>> {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw invalid('FilterPolicy: failed to parse JSON');
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalid('FilterPolicy: must be a JSON object');
  const out: Record<string, Array<string | number>> = {};
  for (const [name, values] of Object.entries(policy)) {
    const list = Array.isArray(values) ? values : [values];
    if (list.length === 0 || !list.every((v) => typeof v === 'string' || typeof v === 'number')) {
      // Real SNS also knows prefix, anything-but, numeric ranges, exists…; the emulator does not.
      throw invalid(`FilterPolicy: ${name}: only exact string or number matches are supported by this emulator`);
    }
    out[name] = list;
  }
  return out;
}

function matchesFilter(policy: Record<string, Array<string | number>>, attributes: Record<string, SnsMessageAttribute>): boolean {
  return Object.entries(policy).every(([name, allowed]) => {
    const attribute = attributes[name];
    if (attribute?.stringValue === undefined) return false;
    let values: unknown[] = [attribute.stringValue];
    if (attribute.dataType.startsWith('String.Array')) values = JSON.parse(attribute.stringValue) as unknown[];
    return values.some((v) =>
      allowed.some((a) => (typeof a === 'number' ? attribute.dataType.startsWith('Number') && Number(v) === a : typeof v === 'string' && v === a)),
    );
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new SnsFault('RequestEntityTooLarge', 'Request body too large', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs `body` to an http(s) URL; resolves with the status, rejects on a network error. */
function post(url: URL, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('subscriber timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts an SNS-compatible server on 127.0.0.1. Point an `SNSClient` at `endpoint` with any
 * credentials; its state lives in memory and is gone after `stop`.
 *
 * @example
 * const sns = await startSnsServer();
 * const client = new SNSClient({ endpoint: sns.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'alerts' }));
 * // … publish; then expect(sns.published()).toHaveLength(1)
 * await sns.stop();
 */
export async function startSnsServer(options: SnsServerOptions = {}): Promise<RunningSnsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const deliveryAttempts = options.deliveryAttempts ?? 3;
  const topics = new Map<string, { name: string; arn: string }>();
  const subscriptions = new Map<string, Subscription>();
  const published: PublishedMessage[] = [];
  const deliveries: SnsDelivery[] = [];
  const requests: SnsRequestRecord[] = [];
  const stopping = new AbortController();
  // Every delivery not yet finished, across all subscriptions (unsubscribed ones included).
  const pending = new Set<Promise<void>>();
  let endpoint = '';

  const topicOf = (params: URLSearchParams, field = 'TopicArn'): { name: string; arn: string } => {
    const arn = params.get(field);
    if (arn === null || arn === '') throw invalid(`${field} is required`);
    if (!arn.startsWith('arn:aws:sns:')) throw invalid(`${field}: An ARN must have at least 6 elements, not ${arn.split(':').length}`);
    const topic = topics.get(arn);
    if (topic === undefined) throw new SnsFault('NotFound', 'Topic does not exist', 404);
    return topic;
  };

  const envelope = (sub: Subscription, msg: PublishedMessage): string => {
    if (sub.raw) return msg.message;
    const attributes: Record<string, { Type: string; Value: string }> = {};
    for (const [name, a] of Object.entries(msg.messageAttributes)) attributes[name] = { Type: a.dataType, Value: a.stringValue ?? a.binaryValue ?? '' };
    return JSON.stringify({
      Type: 'Notification',
      MessageId: msg.messageId,
      TopicArn: msg.topicArn,
      ...(msg.subject === undefined ? {} : { Subject: msg.subject }),
      Message: msg.message,
      Timestamp: msg.timestamp,
      // Placeholders only: the emulator does not sign deliveries (see the file comment).
      SignatureVersion: '1',
      Signature: '',
      SigningCertURL: '',
      UnsubscribeURL: `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(sub.arn)}`,
      ...(Object.keys(attributes).length === 0 ? {} : { MessageAttributes: attributes }),
    });
  };

  const deliver = async (sub: Subscription, msg: PublishedMessage): Promise<void> => {
    const body = envelope(sub, msg);
    const headers = {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': msg.messageId,
      'x-amz-sns-topic-arn': msg.topicArn,
      'x-amz-sns-subscription-arn': sub.arn,
      ...(sub.raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
      'user-agent': 'Amazon Simple Notification Service Agent',
    };
    let status: number | undefined;
    let attempts = 0;
    while (attempts < deliveryAttempts && !stopping.signal.aborted) {
      attempts++;
      try {
        status = await post(new URL(sub.endpoint), body, headers, stopping.signal);
        if (status >= 200 && status < 300) break;
      } catch {
        status = undefined;
      }
      if (attempts < deliveryAttempts) await sleep(50, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
    deliveries.push({ messageId: msg.messageId, subscriptionArn: sub.arn, endpoint: sub.endpoint, attempts, status, ok: status !== undefined && status >= 200 && status < 300 });
  };

  const actions: Record<string, (params: URLSearchParams) => string | undefined> = {
    CreateTopic(params) {
      const name = params.get('Name') ?? '';
      if (name.endsWith('.fifo')) throw invalid('Name: FIFO topics are not supported by this emulator');
      if (!TOPIC_NAME.test(name)) throw invalid('Topic Name');
      const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
      if (!topics.has(arn)) topics.set(arn, { name, arn });
      return `<TopicArn>${xmlEscape(arn)}</TopicArn>`;
    },
    DeleteTopic(params) {
      const arn = params.get('TopicArn') ?? '';
      // Like SNS: deleting a topic that does not exist succeeds.
      topics.delete(arn);
      for (const [subArn, sub] of subscriptions) if (sub.topicArn === arn) subscriptions.delete(subArn);
      return undefined;
    },
    ListTopics(params) {
      const arns = [...topics.keys()];
      const start = Number(params.get('NextToken') ?? '0');
      if (!Number.isInteger(start) || start < 0 || start > arns.length) throw invalid('NextToken');
      const page = arns.slice(start, start + 100);
      const next = start + 100 < arns.length ? `<NextToken>${start + 100}</NextToken>` : '';
      return `<Topics>${page.map((arn) => `<member><TopicArn>${xmlEscape(arn)}</TopicArn></member>`).join('')}</Topics>${next}`;
    },
    Subscribe(params) {
      const topic = topicOf(params);
      const protocol = params.get('Protocol') ?? '';
      if (protocol !== 'http' && protocol !== 'https') throw invalid(`Protocol: ${protocol || '(missing)'} is not supported by this emulator (http, https)`);
      const endpointUrl = params.get('Endpoint') ?? '';
      let parsed: URL;
      try {
        parsed = new URL(endpointUrl);
      } catch {
        throw invalid('Endpoint: not a valid URL');
      }
      if (parsed.protocol !== `${protocol}:`) throw invalid(`Endpoint must match the specified protocol`);
      let raw = false;
      let filterPolicy: Subscription['filterPolicy'];
      for (const { key, value } of readEntries(params, 'Attributes', 'key', 'value')) {
        const text = value[''] ?? '';
        if (key === 'RawMessageDelivery') {
          if (text !== 'true' && text !== 'false') throw invalid('Attributes: RawMessageDelivery must be true or false');
          raw = text === 'true';
        } else if (key === 'FilterPolicy') filterPolicy = parseFilterPolicy(text);
        else if (key === 'FilterPolicyScope') {
          if (text !== 'MessageAttributes') throw invalid('Attributes: only FilterPolicyScope=MessageAttributes is supported by this emulator');
        } else throw invalid(`Attributes: ${key} is not supported by this emulator`);
      }
      // Subscribing the same endpoint twice returns the existing subscription, as SNS does.
      const existing = [...subscriptions.values()].find((s) => s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpointUrl);
      const sub: Subscription = existing ?? { arn: `${topic.arn}:${randomUUID()}`, topicArn: topic.arn, protocol, endpoint: endpointUrl, raw, chain: Promise.resolve() };
      sub.raw = raw;
      sub.filterPolicy = filterPolicy;
      subscriptions.set(sub.arn, sub);
      return `<SubscriptionArn>${xmlEscape(sub.arn)}</SubscriptionArn>`;
    },
    Unsubscribe(params) {
      const arn = params.get('SubscriptionArn') ?? '';
      if (arn === '') throw invalid('SubscriptionArn is required');
      if (!subscriptions.delete(arn)) throw new SnsFault('NotFound', 'Subscription does not exist', 404);
      return undefined;
    },
    ListSubscriptionsByTopic(params) {
      const topic = topicOf(params);
      const members = [...subscriptions.values()]
        .filter((s) => s.topicArn === topic.arn)
        .map(
          (s) =>
            `<member><SubscriptionArn>${xmlEscape(s.arn)}</SubscriptionArn><Owner>${accountId}</Owner><Protocol>${s.protocol}</Protocol>` +
            `<Endpoint>${xmlEscape(s.endpoint)}</Endpoint><TopicArn>${xmlEscape(s.topicArn)}</TopicArn></member>`,
        );
      return `<Subscriptions>${members.join('')}</Subscriptions>`;
    },
    Publish(params) {
      if (params.has('PhoneNumber')) throw invalid('PhoneNumber: SMS is not supported by this emulator');
      const topic = topicOf(params, params.has('TargetArn') ? 'TargetArn' : 'TopicArn');
      let message = params.get('Message');
      if (message === null || message.length === 0) throw invalid('Empty message');
      if (params.has('MessageGroupId') || params.has('MessageDeduplicationId')) {
        throw invalid('The request includes MessageGroupId or MessageDeduplicationId parameter that is not valid for this topic type');
      }
      const subject = params.get('Subject') ?? undefined;
      if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\r\n]/.test(subject))) throw invalid('Subject');
      const structure = params.get('MessageStructure');
      let perProtocol: Record<string, unknown> | undefined;
      if (structure !== null) {
        if (structure !== 'json') throw invalid('MessageStructure: only json is valid');
        try {
          perProtocol = JSON.parse(message) as Record<string, unknown>;
        } catch {
          throw invalid('Message Structure - JSON message body failed to parse');
        }
        if (typeof perProtocol?.['default'] !== 'string') throw invalid('Message Structure - No default entry in JSON message body');
      }
      const messageAttributes = readMessageAttributes(params);
      let size = Buffer.byteLength(message);
      for (const [name, a] of Object.entries(messageAttributes)) size += Buffer.byteLength(name) + Buffer.byteLength(a.dataType) + Buffer.byteLength(a.stringValue ?? a.binaryValue ?? '');
      if (size > MAX_MESSAGE_BYTES) throw invalid('Message too long');
      const base: PublishedMessage = {
        messageId: randomUUID(),
        topicArn: topic.arn,
        message,
        ...(subject === undefined ? {} : { subject }),
        messageAttributes,
        timestamp: new Date().toISOString(),
      };
      published.push(base);
      for (const sub of subscriptions.values()) {
        if (sub.topicArn !== topic.arn) continue;
        if (sub.filterPolicy !== undefined && !matchesFilter(sub.filterPolicy, messageAttributes)) continue;
        if (perProtocol !== undefined) message = String(perProtocol[sub.protocol] ?? perProtocol['default']);
        const msg = { ...base, message };
        const next = sub.chain.then(() => deliver(sub, msg));
        sub.chain = next;
        pending.add(next);
        void next.finally(() => pending.delete(next));
      }
      return `<MessageId>${base.messageId}</MessageId>`;
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let action = '(none)';
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = req.method === 'POST' ? await readBody(req) : '';
      // The SDK POSTs form bodies; an UnsubscribeURL from an envelope is a GET with a query.
      const params = new URLSearchParams(body);
      for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
      action = params.get('Action') ?? '(none)';
      const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (run === undefined) throw new SnsFault('InvalidAction', `The action ${action} is not valid for this web service.`);
      const xml = respond(action, run(params), requestId);
      requests.push({ action, status: 200 });
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(xml);
    } catch (err) {
      const fault = err instanceof SnsFault ? err : new SnsFault('InternalError', 'Internal error', 500, 'Receiver');
      requests.push({ action, status: fault.status, errorCode: fault.code });
      const xml =
        `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${fault.type}</Type><Code>${fault.code}</Code>` +
        `<Message>${xmlEscape(fault.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      res.writeHead(fault.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(xml);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    endpoint,
    port,
    published: () => published.map((m) => ({ ...m, messageAttributes: { ...m.messageAttributes } })),
    deliveries: () => [...deliveries],
    requests: () => [...requests],
    async settled() {
      // Loop: messages published while waiting queue new deliveries.
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...pending]);
      })();
      return stopped;
    },
  };
}
