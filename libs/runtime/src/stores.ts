/**
 * Opening the storage and alert ports from configuration (`@framewatch/runtime/stores`): a
 * subpath of its own because it pulls in the AWS SDK, which the CLI's analyze never needs.
 */
import path from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FramewatchConfig } from '@framewatch/config';
import type { DynamoClientConfig } from '@framewatch/dynamo';
import { ConfigError } from '@framewatch/errors';
import type { Notifier } from '@framewatch/notify';
import { createLogNotifier } from '@framewatch/notify';
import { createSnsNotifier } from '@framewatch/notify/aws';
import type { Logger } from '@framewatch/observability';
import type { FrameHandoff, JobStore, ResultStore } from '@framewatch/storage';
import { createLocalFrameHandoff, createLocalResultStore, createSqliteJobStore } from '@framewatch/storage';
import { createDynamoJobStore, createS3FrameHandoff, createS3ResultStore } from '@framewatch/storage/aws';

/** AWS clients an app built in its `main.ts` (only those it uses). */
export interface AwsClients {
  dynamo?: DynamoDBDocumentClient;
  s3?: S3Client;
  sns?: SNSClient;
}

/**
 * SDK client settings from configuration, for `new XClient(awsClientConfig(config, 'x'))` in an
 * app's `main.ts`: region, endpoint override (the local emulators), attempts, and request
 * timeouts that throw instead of only warning. S3 against an endpoint override uses path-style
 * addressing, and checksums only where S3 requires them (s3rver mangles streamed checksums).
 *
 * @example
 * const s3 = new S3Client(awsClientConfig(config, 's3'));
 */
export function awsClientConfig(config: FramewatchConfig, service: 'dynamodb'): DynamoClientConfig;
export function awsClientConfig(config: FramewatchConfig, service: 's3'): S3ClientConfig;
export function awsClientConfig(config: FramewatchConfig, service: 'sns'): SNSClientConfig;
export function awsClientConfig(config: FramewatchConfig, service: 'dynamodb' | 's3' | 'sns'): DynamoClientConfig | S3ClientConfig | SNSClientConfig {
  const handler = { connectionTimeout: 1000, requestTimeout: config.awsRequestTimeoutMs, throwOnRequestTimeout: true };
  const common = { region: config.awsRegion, maxAttempts: config.awsMaxAttempts };
  switch (service) {
    case 'dynamodb':
      return { ...common, endpoint: config.dynamodbEndpoint, connectTimeoutMs: 1000, requestTimeoutMs: config.awsRequestTimeoutMs };
    case 's3':
      return {
        ...common,
        endpoint: config.s3Endpoint,
        forcePathStyle: config.s3Endpoint !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: handler,
      };
    case 'sns':
      return { ...common, endpoint: config.snsEndpoint, requestHandler: handler };
  }
}

/** The ports an app works with, on the adapters configuration chose. */
export interface Stores {
  jobs: () => JobStore;
  results: () => ResultStore;
  frames: () => FrameHandoff;
  notifier: () => Notifier;
}

/**
 * Opens the storage and alert ports on the adapters `config.store` selects: SQLite, files and a
 * log/webhook notifier in the data dir (`local`), or DynamoDB, S3 and SNS through the clients
 * the app built (`aws`). Each port is opened on first use, so an app that never touches one
 * needs neither its client nor the permissions behind it.
 *
 * @example
 * const stores = openStores(config, { dynamo, s3 }, log);
 * const jobs = stores.jobs();
 */
export function openStores(config: FramewatchConfig, aws: AwsClients, logger: Logger): Stores {
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const need = <T>(client: T | undefined, name: string): T => {
    if (client === undefined) throw new ConfigError(`FRAMEWATCH_STORE=aws needs a ${name} client in this app`);
    return client;
  };
  if (config.store === 'local') {
    return {
      jobs: once(() => createSqliteJobStore({ file: path.join(config.dataDir, 'jobs.sqlite') })),
      results: once(() => createLocalResultStore({ dir: config.dataDir })),
      frames: once(() => createLocalFrameHandoff({ dir: config.dataDir })),
      notifier: once(() => createLogNotifier({ logger, webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret })),
    };
  }
  return {
    jobs: once(() => createDynamoJobStore({ client: need(aws.dynamo, 'DynamoDB'), tableName: config.jobsTable })),
    results: once(() => createS3ResultStore({ client: need(aws.s3, 'S3'), bucket: config.resultsBucket })),
    frames: once(() => createS3FrameHandoff({ client: need(aws.s3, 'S3'), bucket: config.framesBucket })),
    notifier: once(() => {
      if (!config.alertsTopicArn) {
        // No topic configured: alerts are still logged, never silently dropped.
        return createLogNotifier({ logger, webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret });
      }
      return createSnsNotifier({ client: need(aws.sns, 'SNS'), topicArn: config.alertsTopicArn });
    }),
  };
}
