/**
 * The API service: accepts analyses, records them as jobs, serves their status, live events and
 * reports. The work itself is done by the media-converter service, which claims the jobs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@framewatch/config';
import { createLogger } from '@framewatch/observability';
import { apiFromConfig } from '@framewatch/http-api';
import { listen, onShutdown } from '@framewatch/runtime';
import { createDocumentClient } from '@framewatch/dynamo';
import { awsClientConfig, openStores } from '@framewatch/runtime/stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ name: 'api', level: config.logLevel });
  // AWS clients are built here, once, and only used when FRAMEWATCH_STORE=aws.
  const aws =
    config.store === 'aws'
      ? { dynamo: createDocumentClient({ client: new DynamoDBClient(awsClientConfig(config, 'dynamodb')) }), s3: new S3Client(awsClientConfig(config, 's3')) }
      : {};
  const stores = openStores(config, aws, log);
  const jobs = stores.jobs();
  const results = stores.results();
  const { api, devToken } = await apiFromConfig(config, { jobs, results, logger: log });
  const server = await listen(api.app, config, log);
  if (devToken) process.stdout.write(`Framewatch API at ${server.url}\nDev token (12 h): ${devToken}\n`);
  onShutdown(async () => {
    await server.close();
    await jobs.close();
  }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
