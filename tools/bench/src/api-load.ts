/**
 * `npm run bench:api -- [topology] [seconds] [concurrency]` (RELIABILITY L3): the status
 * endpoints of a running topology under sustained load on loopback. Starts `framewatch serve`
 * (monolith by default) with the per-principal rate limit raised out of the way, runs one real
 * job to completion so that its status and report exist, then keeps `concurrency` keep-alive
 * clients busy for `seconds`, each cycling through the job's status, its report, the job list
 * and the health check, and prints per endpoint: requests per second, p50/p99/max latency and
 * the error rate. The clients run in this process on the same machine, so the figures include
 * their share of the CPU (printed too).
 */
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { generateFixture } from '@framewatch/fixtures';
import { summarizeLoad } from './load-summary';
import type { LoadSample } from './load-summary';
import { readStat } from './procfs';
import { benchTopologies, serveFile, startTopology } from './topology-harness';
import type { BenchTopology, RunningTopology } from './topology-harness';

/** Targets printed with pass/fail: status reads must stay fast and error-free under load. */
const targets = { p99MsMax: 100, errorRateMax: 0 } as const;

interface Endpoint {
  name: string;
  path: string;
  auth: boolean;
}

function get(agent: http.Agent, base: URL, target: Endpoint, token: string): Promise<LoadSample> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get(
      { agent, host: base.hostname, port: base.port, path: target.path, headers: target.auth ? { authorization: `Bearer ${token}` } : {}, timeout: 10_000 },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ ms: performance.now() - started, status: 0 }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: performance.now() - started, status: 0 }));
  });
}

async function runJob(t: RunningTopology, sourceUrl: string): Promise<string> {
  const auth = { authorization: `Bearer ${t.token}` };
  const res = await fetch(`${t.url}/v1/analyses`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ source: { url: sourceUrl } }) });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 202 || !body.id) throw new Error(`submission answered ${res.status} ${JSON.stringify(body)}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const job = (await (await fetch(`${t.url}/v1/analyses/${body.id}`, { headers: auth })).json()) as { status: string };
    if (job.status === 'succeeded') return body.id;
    if (job.status === 'failed' || job.status === 'cancelled' || Date.now() > deadline) throw new Error(`job ${body.id} ${job.status}\n${t.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const appCpu = (t: RunningTopology): number => t.apps.reduce((sum, p) => sum + (readStat(p.pid)?.cpuSec ?? 0), 0);

async function main(): Promise<void> {
  const topology = (process.argv[2] ?? 'monolith') as BenchTopology;
  const seconds = Number(process.argv[3] ?? 20);
  const concurrency = Number(process.argv[4] ?? 16);
  if (!benchTopologies.includes(topology)) throw new Error(`topology must be one of ${benchTopologies.join(', ')}, not "${topology}"`);
  if (!(seconds > 0) || !Number.isInteger(concurrency) || concurrency < 1) throw new Error('usage: api-load [topology] [seconds > 0] [concurrency ≥ 1]');
  const root = process.cwd();
  const dir = path.join(root, 'tmp', 'bench', 'api-load');
  rmSync(path.join(dir, 'data'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const clip = await generateFixture('black', path.join(dir, 'fixtures'));
  const source = await serveFile(clip.mediaPath);
  const t = await startTopology(topology, path.join(root, 'dist', 'apps', 'cli', 'main.js'), path.join(dir, 'data'), { FRAMEWATCH_RATE_LIMIT_PER_MIN: '100000000' });
  try {
    const id = await runJob(t, source.url);
    const endpoints: Endpoint[] = [
      { name: 'GET /v1/analyses/:id', path: `/v1/analyses/${id}`, auth: true },
      { name: 'GET /v1/analyses/:id/report', path: `/v1/analyses/${id}/report`, auth: true },
      { name: 'GET /v1/analyses?limit=20', path: '/v1/analyses?limit=20', auth: true },
      { name: 'GET /healthz', path: '/healthz', auth: false },
    ];
    const base = new URL(t.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const samples = new Map<string, LoadSample[]>(endpoints.map((e) => [e.name, []]));
    // Warm-up: one pass of every endpoint on every connection, not measured.
    await Promise.all(Array.from({ length: concurrency }, () => Promise.all(endpoints.map((e) => get(agent, base, e, t.token)))));
    const cpuBefore = appCpu(t);
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, client) => {
        for (let i = client; performance.now() < end; i++) {
          const target = endpoints[i % endpoints.length] as Endpoint;
          (samples.get(target.name) as LoadSample[]).push(await get(agent, base, target, t.token));
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const serverCpu = appCpu(t) - cpuBefore;
    const own = process.cpuUsage(ownBefore);
    agent.destroy();

    const rows = endpoints.map((e) => summarizeLoad(e.name, samples.get(e.name) as LoadSample[], elapsed));
    const all = summarizeLoad('all', [...samples.values()].flat(), elapsed);
    console.log(`${topology}: ${concurrency} keep-alive clients for ${elapsed.toFixed(1)} s on loopback (rate limit raised to 10^8/min)`);
    console.log('endpoint                      requests   req/s   p50 ms   p99 ms   max ms   errors (429)');
    for (const r of [...rows, all]) {
      console.log(
        `${r.endpoint.padEnd(28)} ${String(r.requests).padStart(9)} ${r.rps.toFixed(0).padStart(7)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${r.maxMs.toFixed(1).padStart(8)}   ${(100 * r.errorRate).toFixed(2)} % (${r.rateLimited})`,
      );
    }
    console.log(`CPU: serving apps ${serverCpu.toFixed(2)} s (${((1000 * serverCpu) / Math.max(1, all.requests)).toFixed(3)} ms per request), load generator ${((own.user + own.system) / 1e6).toFixed(2)} s`);
    const pass = all.p99Ms <= targets.p99MsMax && all.errorRate <= targets.errorRateMax;
    console.log(`target p99 ≤ ${targets.p99MsMax} ms with no errors: ${pass ? 'met' : 'MISSED'}`);
  } finally {
    await t.stop();
    await source.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
