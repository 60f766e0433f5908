import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { issueToken } from '@framewatch/auth';
import type { FramewatchConfig } from '@framewatch/config';
import type { Logger } from '@framewatch/observability';
import { planTopology, supervise } from '@framewatch/runtime';
import type { Topology } from '@framewatch/runtime';

/**
 * `framewatch serve --topology …`: starts a whole topology on this machine as child processes
 * (health-checked, in dependency order), prints the API URL and a bearer token, and runs until
 * interrupted or until a process dies (then everything stops, exit 1).
 */
export async function serveCommand(
  topology: Topology,
  deps: { config: FramewatchConfig; log: Logger; appsDir: string; signal: AbortSignal; out: NodeJS.WriteStream },
): Promise<number> {
  const { config, log } = deps;
  // Secrets are made per run unless configured, and reach children only through their environment.
  const jwtSecret = config.jwtSecret ?? randomBytes(32).toString('base64url');
  const serviceSecret = config.serviceSecret ?? randomBytes(32).toString('base64url');
  const plan = await planTopology({
    topology,
    port: config.port,
    dataDir: path.resolve(config.dataDir),
    jwtSecret,
    serviceSecret,
    common: {
      FRAMEWATCH_LOG_LEVEL: config.logLevel,
      FRAMEWATCH_ALLOW_PRIVATE_SOURCES: String(config.allowPrivateSources),
      FRAMEWATCH_MAX_CONCURRENT_JOBS: String(config.maxConcurrentJobs),
      FRAMEWATCH_LEASE_SEC: String(config.leaseSec),
    },
  });
  const running = await supervise(plan.waves, { appsDir: deps.appsDir, logger: log });
  const token = await issueToken({ secret: jwtSecret, issuer: config.jwtIssuer, audience: config.jwtAudience, subject: 'dev', ttlSec: 12 * 3600 });
  const url = `http://127.0.0.1:${plan.apiPort}`;
  const processes = plan.waves.flat().map((p) => `  ${p.name.padEnd(16)} http://127.0.0.1:${p.port}\n`).join('');
  deps.out.write(
    `Framewatch (${topology}, ${running.children.size} process${running.children.size === 1 ? '' : 'es'}) is serving ${url}\n` +
      processes +
      `Token (12 h): ${token}\n` +
      `Try: curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"source":{"url":"https://…"}}' ${url}/v1/analyses\n`,
  );
  const stopped = new Promise<'signal'>((resolve) => deps.signal.addEventListener('abort', () => resolve('signal'), { once: true }));
  const outcome = await Promise.race([stopped, running.exited]);
  await running.stop();
  if (outcome === 'signal') return 0;
  log.error({ process: outcome.name, code: outcome.code, signal: outcome.signal }, 'a process exited; topology stopped');
  return 1;
}
