import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite } from './dynamo';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

describe('startDynalite', () => {
  it('stops while clients are still querying, without a request reaching the closed store', async () => {
    // dynalite 4 throws, uncaught, when a request it has read reaches a closed store; in a test
    // process that fails the whole suite. Several rounds, each stopping mid-traffic.
    for (let round = 0; round < 5; round++) {
      const dynamo = await startDynalite();
      const client = new DynamoDBClient({ region: 'local', endpoint: dynamo.endpoint, credentials, maxAttempts: 1 });
      try {
        await client.send(
          new CreateTableCommand({
            TableName: 'jobs',
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        await client.send(new PutItemCommand({ TableName: 'jobs', Item: { pk: { S: 'a' } } }));
        let stopped = false;
        let answered = 0;
        const query = (): Promise<unknown> =>
          client.send(new QueryCommand({ TableName: 'jobs', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a' } } }));
        const pollers = Array.from({ length: 8 }, async () => {
          while (!stopped) {
            await query().then(
              () => answered++,
              () => undefined,
            );
          }
        });
        while (answered < 20 * (round + 1)) await new Promise((r) => setImmediate(r));
        await dynamo.stop();
        stopped = true;
        await Promise.all(pollers);
        await expect(query()).rejects.toThrow();
      } finally {
        client.destroy();
      }
    }
    // An uncaught throw from a handler would land after the stop; give it the turns it needs.
    await new Promise((r) => setTimeout(r, 100));
  });
});
