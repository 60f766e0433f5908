// Public API of emulators.
export { RequestFramer, createPrng, startFaultProxy } from './fault-proxy';
export type { CannedResponse, ChaosOptions, FaultMatch, FaultProxy, FaultProxyOptions, FaultProxyStats, FaultProxyTarget, SeenRequest } from './fault-proxy';
export { startDynalite } from './dynamo';
export type { DynaliteOptions, RunningDynalite } from './dynamo';
export { S3RVER_CREDENTIALS, startS3rver } from './s3';
export type { RunningS3rver, S3rverOptions } from './s3';
export { SNS_XMLNS, startSnsServer } from './sns';
export type { PublishedMessage, RunningSnsServer, SnsDelivery, SnsMessageAttribute, SnsRequestRecord, SnsServerOptions } from './sns';
export { LOCAL_AWS_CREDENTIALS, startLocalAws } from './local-aws';
export type { LocalAws, LocalAwsOptions } from './local-aws';
