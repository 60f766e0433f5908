// Public API of notify. The SNS adapter is at `@framewatch/notify/aws`, test support at `@framewatch/notify/testing`.
export { AlertKind } from './notifier';
export type { DefectAlert, Notifier } from './notifier';
export { ALERT_ID_PATTERN, alertAttributes, alertIdFor, assertValidAlert, toAlert } from './alert';
export type { AlertAttributes } from './alert';
export { InvalidAlertError, NotifyUnavailableError } from './errors';
export { WebhookHeader, createLogNotifier, signWebhookBody, verifyWebhookSignature } from './log-notifier';
export type { LogNotifierOptions, WebhookRetryPolicy } from './log-notifier';
export { createNotifyingListener } from './listener';
export type { NotifyingListener, NotifyingListenerOptions } from './listener';
