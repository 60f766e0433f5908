/**
 * `@framewatch/notify/testing`: the Notifier conformance suite and a loopback webhook receiver,
 * kept out of the root entry point so that importing `@framewatch/notify` never pulls in Jest
 * globals. Specs in this lib import them relatively.
 */
export { describeNotifierConformance, sampleDefectEvent } from './testing/notifier.conformance';
export type { MakeNotifier, NotifierConformanceHooks, ReceiveAlerts, ReceivedAlert } from './testing/notifier.conformance';
export { startWebhookReceiver } from './testing/webhook-receiver';
export type { ReceivedWebhook, WebhookReceiver } from './testing/webhook-receiver';
