import type { FramewatchConfig } from '@framewatch/config';
import { validateSource } from '@framewatch/source-rules';
import type { LookupFunction } from '@framewatch/source-rules';

/**
 * The API's check of a submitted URL, before any job exists: the input rules for remote callers
 * (http(s) and SRT caller URLs, no local files, destinations on private networks refused unless
 * configured, `udp://` — a port the worker would listen on — refused unless the deployment sets
 * `allowUdpSources`). `lookup` replaces the system resolver (tests).
 *
 * @example
 * createApiApp({ …, validateSourceUrl: sourceUrlValidator(config) });
 */
export function sourceUrlValidator(config: FramewatchConfig, lookup?: LookupFunction): (url: string) => Promise<void> {
  return async (url) => {
    await validateSource(
      { url },
      {
        allowLocalFiles: false,
        allowPrivateSources: config.allowPrivateSources,
        allowUdpSources: config.allowUdpSources,
        lookupTimeoutSec: config.ioTimeoutSec,
        lookup,
      },
    );
  };
}
