/**
 * Errors of the notify lib. Both are {@link FramewatchError}s with the codes the Notifier port
 * documents, so callers can branch on `code` without importing this lib's classes.
 */
import { FramewatchError } from '@framewatch/errors';
import type { FramewatchErrorOptions } from '@framewatch/errors';

/**
 * Thrown by `Notifier.publish` when the destination (webhook, SNS topic) could not take the
 * alert: after the adapter's retries for a transient failure, at once for a permanent one (an
 * unknown topic, a 4xx from a webhook). `detail.attempts` says how many requests were made.
 */
export class NotifyUnavailableError extends FramewatchError {
  override readonly name = 'NotifyUnavailableError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
}

/** Thrown by `Notifier.publish` before anything is sent, when the alert itself is malformed. */
export class InvalidAlertError extends FramewatchError {
  override readonly name = 'InvalidAlertError';
  constructor(message: string, options: FramewatchErrorOptions = {}) {
    super('USAGE', message, options);
  }
}
