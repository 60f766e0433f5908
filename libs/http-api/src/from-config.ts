import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FramewatchConfig } from '@framewatch/config';
import type { Logger } from '@framewatch/observability';
import type { JobStore, ResultStore } from '@framewatch/storage';
import { apiAuth, sourceUrlValidator } from '@framewatch/runtime';
import { createApiApp } from './app';
import type { ApiApp } from './app';

/**
 * The HTTP API as the `api` and `monolith` apps run it: token checks, input rules, upload area
 * and limits, all from configuration. `devToken` is set when no JWT secret was configured.
 *
 * @example
 * const { api, devToken } = await apiFromConfig(config, { jobs, results, logger: log });
 * const server = await listen(api.app, config, log);
 */
export async function apiFromConfig(
  config: FramewatchConfig,
  deps: { jobs: JobStore; results: ResultStore; logger: Logger },
): Promise<{ api: ApiApp; devToken: string | null }> {
  const uploadsDir = path.join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const auth = await apiAuth(config);
  const api = createApiApp({
    jobs: deps.jobs,
    results: deps.results,
    authenticate: auth.authenticate,
    validateSourceUrl: sourceUrlValidator(config),
    uploadsDir,
    limits: {
      maxJsonBytes: 64 * 1024,
      maxUploadBytes: config.maxUploadBytes,
      maxQueued: config.maxQueued,
      rateLimit: { windowMs: 60_000, max: config.rateLimitPerMin },
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
    },
    logger: deps.logger,
  });
  return { api, devToken: auth.devToken };
}
