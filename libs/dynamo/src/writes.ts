/**
 * Conditional single-item writes (STYLE.md: conditional writes instead of read-modify-write).
 * A failed condition is a normal outcome (`written: false`), not an exception; every other
 * failure is thrown as a mapped {@link FramewatchError}.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildUpdate, mergePlaceholders, type Expression, type UpdateSpec } from './expressions';
import { isConditionalCheckFailed, toDynamoError } from './errors';
import type { TableDefinition } from './table';

/** Outcome of a conditional write. */
export type ConditionalResult<Item> = { written: true; item: Item } | { written: false };

/** Options of {@link putIfVersion} and {@link updateIfVersion}. */
export interface VersionOptions {
  /** The attribute holding the version number. Default `version`. */
  versionAttribute?: string;
}

async function send<T>(what: string, call: () => Promise<T>): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await call();
  } catch (err) {
    if (isConditionalCheckFailed(err)) return CONDITION_FAILED;
    throw toDynamoError(what, err);
  }
}

const CONDITION_FAILED = Symbol('condition failed');

/**
 * Writes `item` unless an item with its key exists.
 *
 * @example
 * const { written } = await putIfAbsent(doc, table, { pk: 'IDEM#req-1', sk: 'IDEM', jobId });
 */
export async function putIfAbsent<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  item: Item,
): Promise<ConditionalResult<Item>> {
  const result = await send('put an item', () =>
    doc.send(
      new PutCommand({
        TableName: table.name,
        Item: item as Record<string, unknown>,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey.name },
      }),
    ),
  );
  return result === CONDITION_FAILED ? { written: false } : { written: true, item };
}

/**
 * Replaces an item whose version attribute equals `expectedVersion`, writing it with
 * `expectedVersion + 1` (optimistic locking, R7). `expectedVersion` 0 means "must not exist".
 *
 * @example
 * const res = await putIfVersion(doc, table, { ...record, status: 'done' }, record.version);
 * if (!res.written) { // somebody else wrote first: re-read and decide again
 * }
 */
export async function putIfVersion<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  item: Item,
  expectedVersion: number,
  options: VersionOptions = {},
): Promise<ConditionalResult<Item>> {
  const versionAttribute = options.versionAttribute ?? 'version';
  const next = { ...item, [versionAttribute]: expectedVersion + 1 } as Item;
  const condition: { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } =
    expectedVersion === 0
      ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': table.partitionKey.name } }
      : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': versionAttribute }, ExpressionAttributeValues: { ':v': expectedVersion } };
  const result = await send('put a versioned item', () =>
    doc.send(new PutCommand({ TableName: table.name, Item: next as Record<string, unknown>, ...condition })),
  );
  return result === CONDITION_FAILED ? { written: false } : { written: true, item: next };
}

/** Options of {@link conditionalUpdate}. */
export interface ConditionalUpdateOptions {
  key: Record<string, unknown>;
  update: UpdateSpec;
  /** Must hold for the write to happen; absent = unconditional. */
  condition?: Expression;
}

/**
 * One `UpdateItem` with a condition, returning the item as written (`ALL_NEW`).
 *
 * @example
 * const res = await conditionalUpdate(doc, table, {
 *   key: { pk: 'JOB#an-1', sk: 'JOB' },
 *   update: { set: { status: 'cancelled' }, add: { version: 1 } },
 *   condition: { expression: '#s = :queued', names: { '#s': 'status' }, values: { ':queued': 'queued' } },
 * });
 */
export async function conditionalUpdate<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  options: ConditionalUpdateOptions,
): Promise<ConditionalResult<Item>> {
  const built = buildUpdate(options.update);
  const result = await send('update an item', () =>
    doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: options.key,
        UpdateExpression: built.UpdateExpression,
        ...(options.condition ? { ConditionExpression: options.condition.expression } : {}),
        ExpressionAttributeNames: mergePlaceholders(built.ExpressionAttributeNames, options.condition?.names),
        ExpressionAttributeValues: mergePlaceholders(built.ExpressionAttributeValues, options.condition?.values),
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return result === CONDITION_FAILED ? { written: false } : { written: true, item: result.Attributes as Item };
}

/**
 * {@link conditionalUpdate} guarded by the version attribute: applies `update` and increments
 * the version only if it still equals `expectedVersion` (optimistic locking, R7).
 *
 * @example
 * const res = await updateIfVersion(doc, table, { pk: 'JOB#an-1', sk: 'JOB' }, 3, { set: { note: 'x' } });
 */
export async function updateIfVersion<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  key: Record<string, unknown>,
  expectedVersion: number,
  update: UpdateSpec,
  options: VersionOptions & { condition?: Expression } = {},
): Promise<ConditionalResult<Item>> {
  const versionAttribute = options.versionAttribute ?? 'version';
  const extra = options.condition;
  return conditionalUpdate(doc, table, {
    key,
    update: { ...update, set: { ...update.set, [versionAttribute]: expectedVersion + 1 } },
    condition: {
      expression: extra ? `(#ver = :ver) AND (${extra.expression})` : '#ver = :ver',
      names: { '#ver': versionAttribute, ...extra?.names },
      values: { ':ver': expectedVersion, ...extra?.values },
    },
  });
}

/**
 * Reads one item with a strongly consistent read (the read after a failed condition).
 *
 * @example
 * const current = await getConsistent(doc, table, { pk: 'JOB#an-1', sk: 'JOB' });
 */
export async function getConsistent<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  key: Record<string, unknown>,
): Promise<Item | undefined> {
  try {
    const out = await doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }));
    return out.Item as Item | undefined;
  } catch (err) {
    throw toDynamoError('read an item', err);
  }
}
