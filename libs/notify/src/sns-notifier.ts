import { PublishCommand } from '@aws-sdk/client-sns';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import { alertAttributes, assertValidAlert } from './alert';
import { InvalidAlertError, NotifyUnavailableError } from './errors';
import type { Notifier } from './notifier';

/** Options of {@link createSnsNotifier}. */
export interface SnsNotifierOptions {
  /**
   * The SNS client, created once in the app's `main.ts`. Its own settings decide retries
   * (`maxAttempts`, `retryStrategy`) and timeouts (`requestHandler.requestTimeout` with
   * `throwOnRequestTimeout: true`, RELIABILITY R11); this adapter adds none of its own.
   */
  client: SNSClient;
  topicArn: string;
}

// Errors that say the alert itself is unacceptable; anything else means the topic is unreachable.
const INVALID_ALERT_ERRORS: ReadonlySet<string> = new Set(['InvalidParameterException', 'InvalidParameterValueException', 'ParameterValueInvalid', 'InvalidParameter']);

/**
 * The AWS Notifier (DESIGN.md "Storage"): one SNS `Publish` per alert, the alert JSON as
 * `Message`, and `alertId`, `jobId`, `kind`, `defectType` as String MessageAttributes so
 * consumers can de-duplicate (RELIABILITY R9) and subscription filter policies can route without
 * parsing the body. A publish the SDK retried after a lost response reaches subscribers twice
 * with the same `alertId`. Failures become {@link NotifyUnavailableError} (`UNAVAILABLE`,
 * `detail.attempts` from the SDK) or `USAGE` when SNS rejects the message as invalid.
 * `close` leaves the injected client alone: its owner destroys it.
 *
 * @example
 * // apps/…/main.ts
 * const sns = new SNSClient({ region, maxAttempts: 3, requestHandler: { requestTimeout: 5000, throwOnRequestTimeout: true } });
 * const notifier = createSnsNotifier({ client: sns, topicArn: config.alertTopicArn });
 */
export function createSnsNotifier(options: SnsNotifierOptions): Notifier {
  const { client, topicArn } = options;
  return {
    async publish(alert) {
      assertValidAlert(alert);
      const attrs = alertAttributes(alert);
      const MessageAttributes: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of Object.entries(attrs)) MessageAttributes[name] = { DataType: 'String', StringValue: value };
      try {
        await client.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(alert), MessageAttributes }));
      } catch (err) {
        const name = (err as Error)?.name ?? 'Error';
        const attempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
        const detail = { alertId: alert.alertId, topicArn, awsError: name, ...(attempts === undefined ? {} : { attempts }) };
        if (INVALID_ALERT_ERRORS.has(name)) throw new InvalidAlertError(`SNS rejected alert ${alert.alertId}: ${(err as Error).message}`, { cause: err, detail });
        throw new NotifyUnavailableError(`alert ${alert.alertId} not published to SNS (${name}): ${(err as Error)?.message}`, { cause: err, detail });
      }
    },
    async close() {
      // The client is injected and shared; its owner destroys it.
    },
  };
}
