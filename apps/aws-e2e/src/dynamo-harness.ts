/**
 * Test harness for the DynamoDB e2e specs: document clients pointed at dynalite (directly or
 * through the fault proxy) and table creation. Every client it makes is destroyed by `destroyAll`.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, type DynamoClientConfig } from '@framewatch/dynamo';
import { jobTableDefinition } from '@framewatch/storage/aws';

/** dynalite accepts any credentials; the SDK needs some. */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Makes and tracks clients for one spec file. */
export function createDynamoHarness(): {
  doc(endpoint: string, config?: Partial<DynamoClientConfig>): DynamoDBDocumentClient;
  createJobTable(endpoint: string, name: string): Promise<void>;
  destroyAll(): void;
} {
  const made: Array<{ destroy(): void }> = [];
  return {
    doc(endpoint, config = {}) {
      const doc = createDocumentClient({
        clientConfig: { region: 'local', endpoint, credentials: DYNALITE_CREDENTIALS, maxAttempts: 3, requestTimeoutMs: 5000, ...config },
      });
      made.push(doc);
      return doc;
    },
    async createJobTable(endpoint, name) {
      const raw = new DynamoDBClient({ region: 'local', endpoint, credentials: DYNALITE_CREDENTIALS });
      try {
        await raw.send(new CreateTableCommand(jobTableDefinition(name)));
      } finally {
        raw.destroy();
      }
    },
    destroyAll() {
      for (const c of made.splice(0)) c.destroy();
    },
  };
}
