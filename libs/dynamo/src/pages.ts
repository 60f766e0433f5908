/** Pagination as async generators (STYLE.md "AWS clients"). */
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { toDynamoError } from './errors';

/**
 * Yields each page of a Query (its items), following `LastEvaluatedKey` until the end or until
 * the consumer stops. Empty pages in the middle (everything filtered out) are skipped.
 *
 * @example
 * for await (const items of queryPages(doc, { TableName: 't', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'x' } })) {
 *   for (const item of items) handle(item);
 * }
 */
export async function* queryPages<Item = Record<string, unknown>>(doc: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Item[]> {
  let start = input.ExclusiveStartKey;
  do {
    let out;
    try {
      out = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    } catch (err) {
      throw toDynamoError(`query ${input.IndexName ? `index ${input.IndexName} of ` : ''}${input.TableName}`, err);
    }
    if (out.Items && out.Items.length > 0) yield out.Items as Item[];
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
}

/**
 * Yields each page of a Scan, like {@link queryPages}.
 *
 * @example
 * for await (const items of scanPages(doc, { TableName: 't' })) console.log(items.length);
 */
export async function* scanPages<Item = Record<string, unknown>>(doc: DynamoDBDocumentClient, input: ScanCommandInput): AsyncGenerator<Item[]> {
  let start = input.ExclusiveStartKey;
  do {
    let out;
    try {
      out = await doc.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    } catch (err) {
      throw toDynamoError(`scan ${input.TableName}`, err);
    }
    if (out.Items && out.Items.length > 0) yield out.Items as Item[];
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
}
