import type { FramewatchConfig } from '@framewatch/config';
import { validateSource } from '@framewatch/source-rules';

/**
 * The API's check of a submitted URL, before any job exists: the input rules for remote callers
 * (http(s) only, no local files, destinations on private networks refused unless configured).
 *
 * @example
 * createApiApp({ …, validateSourceUrl: sourceUrlValidator(config) });
 */
export function sourceUrlValidator(config: FramewatchConfig): (url: string) => Promise<void> {
  return async (url) => {
    await validateSource({ url }, { allowLocalFiles: false, allowPrivateSources: config.allowPrivateSources, lookupTimeoutSec: config.ioTimeoutSec });
  };
}
