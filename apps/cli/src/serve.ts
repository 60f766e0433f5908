import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { issueToken } from '@framewatch/auth';
import { settingsEnv } from '@framewatch/config';
import type { ConfigKey, FramewatchConfig } from '@framewatch/config';
import type { Logger } from '@framewatch/observability';
import { planTopology, supervise } from '@framewatch/runtime';
import type { Topology } from '@framewatch/runtime';

/** Settings `serve` hands on to every process of the topology. */
const forwardedSettings: readonly ConfigKey[] = [
  'logLevel',
  'ffmpegPath',
  'ffprobePath',
  'allowPrivateSources',
  'allowUdpSources',
  'liveStallSec',
  'ioTimeoutSec',
  'maxWallSec',
  'maxDurationSec',
  'maxFramePixels',
  'decodeThreads',
  'framesPerBatch',
  'jwtIssuer',
  'jwtAudience',
  'maxConcurrentJobs',
  'maxQueued',
  'leaseSec',
  'maxUploadBytes',
  'rateLimitPerMin',
  'store',
  'awsRegion',
  'dynamodbEndpoint',
  's3Endpoint',
  'snsEndpoint',
  'jobsTable',
  'resultsBucket',
  'framesBucket',
  'alertsTopicArn',
  'webhookUrl',
  'webhookSecret',
  'awsMaxAttempts',
  'awsRequestTimeoutMs',
  'detectors',
  'macroblockingModel',
];

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
    detectors: config.detectors,
    // Every process gets this run's settings; per-process ones (port, detectors…) come from the plan.
    common: settingsEnv(config, forwardedSettings),
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
