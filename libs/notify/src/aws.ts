/**
 * `@framewatch/notify/aws`: the SNS adapter, behind its own entry point so that importing
 * `@framewatch/notify` never loads the AWS SDK.
 */
export { createSnsNotifier } from './sns-notifier';
export type { SnsNotifierOptions } from './sns-notifier';
