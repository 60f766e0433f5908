/**
 * Typed table definitions: one place that names a table's key attributes and indexes, from
 * which both the CreateTable input and the key of an item are derived.
 */
import type { CreateTableCommandInput, ScalarAttributeType } from '@aws-sdk/client-dynamodb';

/** A key attribute: its name on the item and its DynamoDB scalar type. */
export interface KeyAttribute<Item> {
  name: Extract<keyof Item, string>;
  type: ScalarAttributeType;
}

/** A global secondary index (projection ALL unless `keysOnly`). */
export interface IndexDefinition<Item> {
  partitionKey: KeyAttribute<Item>;
  sortKey?: KeyAttribute<Item>;
  keysOnly?: boolean;
}

/** What {@link defineTable} takes. */
export interface TableSpec<Item, IndexName extends string> {
  name: string;
  partitionKey: KeyAttribute<Item>;
  sortKey?: KeyAttribute<Item>;
  indexes?: Record<IndexName, IndexDefinition<Item>>;
}

/** A defined table. */
export interface TableDefinition<Item, IndexName extends string = string> extends TableSpec<Item, IndexName> {
  indexes: Record<IndexName, IndexDefinition<Item>>;
  /** The primary key of `item` (partition and, if defined, sort key). */
  keyOf(item: Partial<Item>): Record<string, unknown>;
  /** On-demand CreateTable input for this table and its indexes. */
  createTableInput(): CreateTableCommandInput;
}

/**
 * Defines a table for the helpers of this lib.
 *
 * @example
 * interface Job { pk: string; sk: string; status: string; gsi1pk?: string; gsi1sk?: string }
 * const jobs = defineTable<Job, 'claimable'>({
 *   name: 'framewatch-jobs',
 *   partitionKey: { name: 'pk', type: 'S' },
 *   sortKey: { name: 'sk', type: 'S' },
 *   indexes: { claimable: { partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } } },
 * });
 * await client.send(new CreateTableCommand(jobs.createTableInput()));
 */
export function defineTable<Item, IndexName extends string = never>(spec: TableSpec<Item, IndexName>): TableDefinition<Item, IndexName> {
  const indexes = (spec.indexes ?? {}) as Record<IndexName, IndexDefinition<Item>>;
  return {
    ...spec,
    indexes,
    keyOf(item) {
      const key: Record<string, unknown> = { [spec.partitionKey.name]: item[spec.partitionKey.name] };
      if (spec.sortKey) key[spec.sortKey.name] = item[spec.sortKey.name];
      return key;
    },
    createTableInput() {
      const attributes = new Map<string, ScalarAttributeType>();
      const add = (a?: KeyAttribute<Item>): void => {
        if (a) attributes.set(a.name, a.type);
      };
      const keySchema = (pk: KeyAttribute<Item>, sk?: KeyAttribute<Item>) => [
        { AttributeName: pk.name, KeyType: 'HASH' as const },
        ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
      ];
      add(spec.partitionKey);
      add(spec.sortKey);
      const entries = Object.entries(indexes) as Array<[string, IndexDefinition<Item>]>;
      for (const [, index] of entries) {
        add(index.partitionKey);
        add(index.sortKey);
      }
      return {
        TableName: spec.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: keySchema(spec.partitionKey, spec.sortKey),
        ...(entries.length > 0
          ? {
              GlobalSecondaryIndexes: entries.map(([IndexName, index]) => ({
                IndexName,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: index.keysOnly ? 'KEYS_ONLY' : 'ALL' },
              })),
            }
          : {}),
      };
    },
  };
}
