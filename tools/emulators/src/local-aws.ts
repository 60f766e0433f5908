import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { jobTableDefinition } from '@framewatch/storage/aws';
import { startDynalite } from './dynamo';
import { startS3rver } from './s3';
import { startSnsServer } from './sns';
import type { RunningSnsServer } from './sns';

/** Names the local AWS is set up with; the defaults are Framewatch's own defaults. */
export interface LocalAwsOptions {
  /** Where s3rver keeps its buckets. */
  dir: string;
  jobsTable?: string;
  resultsBucket?: string;
  framesBucket?: string;
  alertsTopic?: string;
  region?: string;
}

/** The three AWS-API servers on loopback, set up, and the settings that point Framewatch at them. */
export interface LocalAws {
  /**
   * `FRAMEWATCH_*` settings (store, endpoints, names, topic ARN) plus the dummy `AWS_*`
   * credentials the SDK needs (s3rver accepts only `S3RVER`; the others accept anything).
   */
  env: Record<string, string>;
  sns: RunningSnsServer;
  stop(): Promise<void>;
}

/** Dummy credentials every emulator accepts. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Starts dynalite (DynamoDB), s3rver (S3) and the SNS server on loopback, creates the jobs table,
 * the results and frames buckets and the alerts topic, and returns the settings for Framewatch.
 * `npm run emulators` and the AWS tests both use this.
 *
 * @example
 * const aws = await startLocalAws({ dir: 'tmp/emulators' });
 * spawn('node', ['dist/apps/monolith/main.js'], { env: childEnvironment(aws.env) });
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const names = {
    jobsTable: options.jobsTable ?? 'framewatch-jobs',
    resultsBucket: options.resultsBucket ?? 'framewatch-results',
    framesBucket: options.framesBucket ?? 'framewatch-frames',
    alertsTopic: options.alertsTopic ?? 'framewatch-alerts',
    region: options.region ?? 'us-east-1',
  };
  const started: { stop(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.splice(0).map((s) => s.stop()));
  };
  try {
    const dynamo = await startDynalite();
    started.push(dynamo);
    const s3 = await startS3rver({ dir: options.dir, buckets: [names.resultsBucket, names.framesBucket] });
    started.push(s3);
    const sns = await startSnsServer({ region: names.region });
    started.push(sns);

    const credentials = LOCAL_AWS_CREDENTIALS;
    const ddb = new DynamoDBClient({ region: names.region, endpoint: dynamo.endpoint, credentials });
    const snsClient = new SNSClient({ region: names.region, endpoint: sns.endpoint, credentials });
    try {
      await ddb.send(new CreateTableCommand(jobTableDefinition(names.jobsTable)));
      const topic = await snsClient.send(new CreateTopicCommand({ Name: names.alertsTopic }));
      return {
        sns,
        stop,
        env: {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_REGION: names.region,
          FRAMEWATCH_STORE: 'aws',
          FRAMEWATCH_AWS_REGION: names.region,
          FRAMEWATCH_DYNAMODB_ENDPOINT: dynamo.endpoint,
          FRAMEWATCH_S3_ENDPOINT: s3.endpoint,
          FRAMEWATCH_SNS_ENDPOINT: sns.endpoint,
          FRAMEWATCH_JOBS_TABLE: names.jobsTable,
          FRAMEWATCH_RESULTS_BUCKET: names.resultsBucket,
          FRAMEWATCH_FRAMES_BUCKET: names.framesBucket,
          FRAMEWATCH_ALERTS_TOPIC_ARN: topic.TopicArn ?? '',
        },
      };
    } finally {
      ddb.destroy();
      snsClient.destroy();
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
