/**
 * The AWS adapters of the storage ports (`@framewatch/storage/aws`), kept out of the root entry
 * point so that importing `@framewatch/storage` never pulls in an AWS SDK.
 */
export { createS3ResultStore } from './aws/s3-result-store';
export type { S3ResultStoreOptions } from './aws/s3-result-store';
export { createS3FrameHandoff } from './aws/s3-frame-handoff';
export type { S3FrameHandoffOptions } from './aws/s3-frame-handoff';
export { S3_MULTIPART_THRESHOLD } from './aws/s3-objects';
export type { S3MultipartOptions } from './aws/s3-objects';
export { createDynamoJobStore, jobTableDefinition } from './aws/dynamo-job-store';
export type { DynamoJobStoreOptions } from './aws/dynamo-job-store';
