import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FramewatchError } from '@framewatch/errors';
import { createDocumentClient, toClientConfig } from './client';
import { isConditionalCheckFailed, toDynamoError } from './errors';
import { buildUpdate } from './expressions';
import { claimLease } from './lease';
import { defineTable } from './table';

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { attempts: 1 }, ...extra });
}

describe('toDynamoError', () => {
  it.each([
    ['ConditionalCheckFailedException', 'CONFLICT', undefined],
    ['ProvisionedThroughputExceededException', 'UNAVAILABLE', 'throttled'],
    ['ThrottlingException', 'UNAVAILABLE', 'throttled'],
    ['RequestLimitExceeded', 'UNAVAILABLE', 'throttled'],
    ['ResourceNotFoundException', 'NOT_FOUND', undefined],
    ['ValidationException', 'USAGE', undefined],
    ['AccessDeniedException', 'FORBIDDEN', undefined],
    ['UnrecognizedClientException', 'UNAUTHENTICATED', undefined],
    ['TimeoutError', 'UNAVAILABLE', 'timeout'],
    ['InternalServerError', 'UNAVAILABLE', 'server'],
    ['SomethingNew', 'INTERNAL', undefined],
  ])('maps %s to %s', (name, code, reason) => {
    const mapped = toDynamoError('do it', sdkError(name));
    expect(mapped).toBeInstanceOf(FramewatchError);
    expect(mapped.code).toBe(code);
    expect(mapped.detail['reason']).toBe(reason);
    expect(mapped.detail['awsError']).toBe(name);
    expect(mapped.message).toContain('cannot do it');
  });

  it('maps connection resets and 5xx statuses to UNAVAILABLE', () => {
    expect(toDynamoError('x', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'network' } });
    expect(toDynamoError('x', new Error('socket hang up'))).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'network' } });
    expect(toDynamoError('x', sdkError('Weird', { $metadata: { httpStatusCode: 503 } }))).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'server' } });
  });

  it('classifies the SDK wrapper of a socket error by its cause, keeping the attempt count', () => {
    const socket = Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' });
    const wrapper = Object.assign(new Error('AWS SDK error wrapper for TimeoutError: read ECONNRESET', { cause: socket }), { $metadata: { attempts: 3 } });
    expect(toDynamoError('x', wrapper)).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'network', attempts: 3, awsError: 'TimeoutError' } });
    const timeout = Object.assign(new Error('AWS SDK error wrapper for TimeoutError: timed out', { cause: Object.assign(new Error('timed out'), { name: 'TimeoutError' }) }), {
      $metadata: { attempts: 2 },
    });
    expect(toDynamoError('x', timeout)).toMatchObject({ code: 'UNAVAILABLE', detail: { reason: 'timeout', attempts: 2 } });
  });

  it('keeps the SDK error as cause and passes FramewatchErrors through', () => {
    const original = sdkError('ValidationException');
    expect(toDynamoError('x', original).cause).toBe(original);
    const fw = new FramewatchError('NOT_FOUND', 'gone');
    expect(toDynamoError('x', fw)).toBe(fw);
  });

  it('recognises a conditional check failure raw and mapped', () => {
    const raw = sdkError('ConditionalCheckFailedException');
    expect(isConditionalCheckFailed(raw)).toBe(true);
    expect(isConditionalCheckFailed(toDynamoError('x', raw))).toBe(true);
    expect(isConditionalCheckFailed(new FramewatchError('CONFLICT', 'version moved'))).toBe(false);
    expect(isConditionalCheckFailed(sdkError('ValidationException'))).toBe(false);
  });
});

describe('createDocumentClient', () => {
  it('rejects both or neither of client and clientConfig', () => {
    const client = new DynamoDBClient({ region: 'local' });
    expect(() => createDocumentClient({ client, clientConfig: { region: 'local' } } as never)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => createDocumentClient({} as never)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    client.destroy();
  });

  it('decorates an injected client without replacing it', () => {
    const client = new DynamoDBClient({ region: 'local' });
    const doc = createDocumentClient({ client });
    expect(doc.config.region).toBe(client.config.region);
    expect(doc.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
    client.destroy();
  });

  it('sets attempts, retry mode and timeouts that throw on the clientConfig path', () => {
    const config = toClientConfig({ region: 'local', maxAttempts: 4, requestTimeoutMs: 750, connectTimeoutMs: 200 });
    expect(config).toMatchObject({
      maxAttempts: 4,
      retryMode: 'standard',
      requestHandler: { connectionTimeout: 200, requestTimeout: 750, throwOnRequestTimeout: true },
    });
    expect(toClientConfig({ region: 'local' })).toMatchObject({ maxAttempts: 3, requestHandler: { requestTimeout: 5000, throwOnRequestTimeout: true } });
    expect(() => toClientConfig({ region: 'local', maxAttempts: 0 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => toClientConfig({ region: 'local', requestHandler: { requestTimeout: 1 }, requestTimeoutMs: 5 })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });
});

describe('buildUpdate', () => {
  it('uses placeholders for every name and value and skips undefined values', () => {
    expect(buildUpdate({ set: { status: 'running', skip: undefined }, add: { version: 1 }, remove: ['error'] })).toEqual({
      UpdateExpression: 'SET #upd0 = :upd0 ADD #upd1 :upd1 REMOVE #upd2',
      ExpressionAttributeNames: { '#upd0': 'status', '#upd1': 'version', '#upd2': 'error' },
      ExpressionAttributeValues: { ':upd0': 'running', ':upd1': 1 },
    });
    expect(() => buildUpdate({})).toThrow(RangeError);
  });
});

describe('defineTable', () => {
  interface Row {
    pk: string;
    sk: string;
    g1: string;
    g1s: number;
    other: string;
  }
  const table = defineTable<Row, 'byG1'>({
    name: 't',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    indexes: { byG1: { partitionKey: { name: 'g1', type: 'S' }, sortKey: { name: 'g1s', type: 'N' } } },
  });

  it('derives keys and an on-demand CreateTable input with each attribute defined once', () => {
    expect(table.keyOf({ pk: 'a', sk: 'b', other: 'x' })).toEqual({ pk: 'a', sk: 'b' });
    const input = table.createTableInput();
    expect(input.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'g1', AttributeType: 'S' },
      { AttributeName: 'g1s', AttributeType: 'N' },
    ]);
    expect(input.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'byG1', Projection: { ProjectionType: 'ALL' } });
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
  });
});

describe('claimLease decision logic', () => {
  const table = defineTable<{ pk: string; leaseOwner?: string; leaseToken?: string }>({ name: 't', partitionKey: { name: 'pk', type: 'S' } });
  const condition = { expression: 'attribute_exists(pk)' };

  /** A document client whose responses are scripted per command name. */
  function scripted(steps: Array<(input: Record<string, unknown>) => unknown>): { doc: DynamoDBDocumentClient; calls: string[] } {
    const calls: string[] = [];
    const doc = {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push(cmd.constructor.name);
        const step = steps.shift();
        if (!step) throw new Error('unexpected call');
        return step(cmd.input);
      },
    } as unknown as DynamoDBDocumentClient;
    return { doc, calls };
  }

  it('recognises its own write after a conditional check failure (lost ack, R2)', async () => {
    let written: Record<string, unknown> = {};
    const { doc, calls } = scripted([
      (input) => {
        const values = input['ExpressionAttributeValues'] as Record<string, unknown>;
        written = { pk: 'a', leaseOwner: values[':upd0'], leaseToken: values[':upd1'] };
        throw sdkError('ConditionalCheckFailedException');
      },
      () => ({ Item: written }),
    ]);
    const claim = await claimLease(doc, table, { key: { pk: 'a' }, owner: 'w1', expiresAt: 1, condition, token: 'tok-1' });
    expect(claim).toMatchObject({ won: true, recovered: true, token: 'tok-1' });
    expect(calls).toEqual(['UpdateCommand', 'GetCommand']);
  });

  it('reports a loss when the item carries another owner or token', async () => {
    const { doc } = scripted([
      () => {
        throw sdkError('ConditionalCheckFailedException');
      },
      () => ({ Item: { pk: 'a', leaseOwner: 'w1', leaseToken: 'older-claim' } }),
    ]);
    await expect(claimLease(doc, table, { key: { pk: 'a' }, owner: 'w1', expiresAt: 1, condition, token: 'tok-2' })).resolves.toEqual({
      won: false,
      item: { pk: 'a', leaseOwner: 'w1', leaseToken: 'older-claim' },
    });
  });

  it('rethrows a transport failure when the read-back shows no claim of ours', async () => {
    const { doc } = scripted([
      () => {
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
      () => ({ Item: { pk: 'a' } }),
    ]);
    await expect(claimLease(doc, table, { key: { pk: 'a' }, owner: 'w1', expiresAt: 1, condition })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('does not read back after a validation error', async () => {
    const { doc, calls } = scripted([
      () => {
        throw sdkError('ValidationException');
      },
    ]);
    await expect(claimLease(doc, table, { key: { pk: 'a' }, owner: 'w1', expiresAt: 1, condition })).rejects.toMatchObject({ code: 'USAGE' });
    expect(calls).toEqual(['UpdateCommand']);
  });
});

describe('createDocumentClient ownership', () => {
  it('destroys the client it built when the document client is destroyed', () => {
    const doc = createDocumentClient({ clientConfig: { region: 'local' } });
    const handler = doc.config.requestHandler as unknown as { destroy(): void };
    const spy = jest.spyOn(handler, 'destroy');
    doc.destroy();
    expect(spy).toHaveBeenCalled();
  });
});
