/**
 * Starting a topology with `framewatch serve`, serving the clip on loopback, and measuring one
 * job on it: wall time, CPU and peak memory of every process, and the job's transport counters.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import { commandLine, descendants, readMemory, readStat, resetPeakMemory } from './procfs';
import { parseTransportLine } from './transport-log';
import type { TransportLine } from './transport-log';

/** The topologies the benchmark compares, in the order they are first run. */
export const benchTopologies = ['monolith', 'services', 'services-s3'] as const;

/** One of {@link benchTopologies}. */
export type BenchTopology = (typeof benchTopologies)[number];

/** A loopback HTTP server for one file, with Range support (ffmpeg seeks in MP4 over HTTP). */
export async function serveFile(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const size = statSync(file).size;
  const server: Server = createServer((req, res) => {
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
    }
    const headers = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': String(end - start + 1) };
    res.writeHead(range ? 206 : 200, range ? { ...headers, 'content-range': `bytes ${start}-${end}/${size}` } : headers);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/${path.basename(file)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One app process of a running topology. */
export interface AppProcess {
  pid: number;
  /** The app bundle it runs: `monolith`, `api`, `media-converter`, `detector`, `aggregator`. */
  app: string;
}

/** A topology started with `framewatch serve`. */
export interface RunningTopology {
  topology: BenchTopology;
  serve: ChildProcess;
  url: string;
  token: string;
  apps: AppProcess[];
  /** `job transport` lines seen so far, by job id. */
  transport: Map<string, TransportLine>;
  /** The last lines serve wrote to stderr, for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

/**
 * Starts `framewatch serve --topology <t>` at log level info (the per-job transport lines are
 * info) with private sources allowed (the clip is served from loopback). Its environment is
 * this one without any `FRAMEWATCH_*` setting, so every topology runs on the defaults, plus
 * `settings` (`FRAMEWATCH_*` variables a benchmark needs changed).
 */
export async function startTopology(topology: BenchTopology, cli: string, dataDir: string, settings: Record<string, string> = {}): Promise<RunningTopology> {
  const serve = spawn(
    process.execPath,
    [cli, 'serve', '--topology', topology, '--port', '0', '--data-dir', dataDir, '--allow-private-sources', '--log-level', 'info'],
    { env: childEnvironment(settings), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const transport = new Map<string, TransportLine>();
  const lines: string[] = [];
  let partial = '';
  serve.stderr?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      const parsed = parseTransportLine(line);
      if (parsed) transport.set(parsed.jobId, parsed);
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  });
  let out = '';
  serve.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Token \(12 h\): (\S+)/.test(out)) {
    if (serve.exitCode !== null || Date.now() > deadline) {
      serve.kill('SIGTERM');
      throw new Error(`serve --topology ${topology} did not start:\n${out}\n${lines.join('\n')}`);
    }
    await sleep(100);
  }
  const url = /is serving (http:\/\/\S+)/.exec(out)?.[1] as string;
  const token = /Token \(12 h\): (\S+)/.exec(out)?.[1] as string;
  const apps = descendants(serve.pid as number)
    .filter((p) => p.ppid === serve.pid)
    .map((p) => ({ pid: p.pid, app: /apps\/([^/]+)\/main\.js/.exec(commandLine(p.pid))?.[1] ?? '' }))
    .filter((p) => p.app !== '');
  return {
    topology,
    serve,
    url,
    token,
    apps,
    transport,
    tail: () => lines.join('\n'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (serve.exitCode !== null || serve.signalCode !== null) return resolve();
        serve.once('exit', () => resolve());
        serve.kill('SIGTERM');
      }),
  };
}

/** What one job cost on one topology. */
export interface JobSample {
  topology: BenchTopology;
  jobId: string;
  /** Submission (POST) to the first poll that saw `succeeded`, seconds; polled every 50 ms. */
  wallSec: number;
  /** The report's own `stats.wallSec`. */
  jobWallSec: number;
  mediaSec: number;
  videoFrames: number;
  /** utime+stime+cutime+cstime after − before, by app, summed over its processes (ffmpeg is in its parent's cutime). */
  cpuSecByApp: Record<string, number>;
  /** Peak RSS by app: VmHWM after a clear_refs reset (or sampled VmRSS, see `memoryMethod`); `ffmpeg` is sampled. */
  peakMemBytesByApp: Record<string, number>;
  /** The largest sum of VmRSS over every process seen by the 100 ms sampler: a cross-check. */
  sampledPeakRssBytes: number;
  memoryMethod: 'VmHWM after clear_refs, ffmpeg sampled' | 'VmRSS sampled every 100 ms';
  /** CPU of `serve` itself (the supervisor that forwards logs): reported, not counted. */
  serveCpuSec: number;
  transport: TransportLine;
}

/**
 * Submits the clip by URL, waits for `succeeded`, and measures the job. Assumes nothing else
 * runs on the topology: CPU and memory are per process, so anything concurrent would be counted.
 */
export async function measureJob(t: RunningTopology, sourceUrl: string): Promise<JobSample> {
  const auth = { authorization: `Bearer ${t.token}` };
  const cpuBefore = new Map(t.apps.map((p) => [p.pid, readStat(p.pid)?.cpuSec ?? NaN]));
  const serveBefore = readStat(t.serve.pid as number)?.cpuSec ?? NaN;
  const resetOk = t.apps.map((p) => resetPeakMemory(p.pid)).every(Boolean);

  const appPids = new Set(t.apps.map((p) => p.pid));
  const sampledByPid = new Map<number, number>();
  let sampledTransient = 0;
  let sampledTotal = 0;
  const sample = (): void => {
    let total = 0;
    let transient = 0;
    for (const proc of descendants(t.serve.pid as number)) {
      const rss = readMemory(proc.pid, 'VmRSS') ?? 0;
      total += rss;
      if (appPids.has(proc.pid)) sampledByPid.set(proc.pid, Math.max(sampledByPid.get(proc.pid) ?? 0, rss));
      else transient += rss;
    }
    sampledTransient = Math.max(sampledTransient, transient);
    sampledTotal = Math.max(sampledTotal, total);
  };
  sample();
  const sampler = setInterval(sample, 100);

  let jobId = '';
  let wallSec = 0;
  try {
    const started = performance.now();
    const res = await fetch(`${t.url}/v1/analyses`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { url: sourceUrl } }),
    });
    const body = (await res.json()) as { id?: string };
    if (res.status !== 202 || !body.id) throw new Error(`${t.topology}: submission answered ${res.status} ${JSON.stringify(body)}`);
    jobId = body.id;
    for (;;) {
      const job = (await (await fetch(`${t.url}/v1/analyses/${jobId}`, { headers: auth })).json()) as { status: string; error?: unknown };
      if (job.status === 'succeeded') break;
      if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`${t.topology}: job ${jobId} ${job.status}: ${JSON.stringify(job.error)}\n${t.tail()}`);
      if (performance.now() - started > 300_000) throw new Error(`${t.topology}: job ${jobId} still ${job.status} after 300 s`);
      await sleep(50);
    }
    wallSec = (performance.now() - started) / 1000;
  } finally {
    clearInterval(sampler);
  }
  sample();

  const cpuSecByApp: Record<string, number> = {};
  const peakMemBytesByApp: Record<string, number> = {};
  for (const p of t.apps) {
    cpuSecByApp[p.app] = (cpuSecByApp[p.app] ?? 0) + ((readStat(p.pid)?.cpuSec ?? NaN) - (cpuBefore.get(p.pid) ?? NaN));
    const peak = resetOk ? readMemory(p.pid, 'VmHWM') : sampledByPid.get(p.pid);
    peakMemBytesByApp[p.app] = (peakMemBytesByApp[p.app] ?? 0) + (peak ?? NaN);
  }
  peakMemBytesByApp['ffmpeg'] = sampledTransient;

  const transport = await waitFor(() => t.transport.get(jobId), 10_000);
  if (!transport) throw new Error(`${t.topology}: no 'job transport' log line for ${jobId}\n${t.tail()}`);
  // The counters are per process: with another job running alongside, they would not be this job's.
  if (transport.activeJobs !== 1) throw new Error(`${t.topology}: job ${jobId} overlapped ${transport.activeJobs - 1} other job(s); its counters are not its own`);
  const report = (await (await fetch(`${t.url}/v1/analyses/${jobId}/report`, { headers: auth })).json()) as {
    media: { durationSec: number };
    stats: { wallSec: number; videoFrames: number };
  };
  return {
    topology: t.topology,
    jobId,
    wallSec,
    jobWallSec: report.stats.wallSec,
    mediaSec: report.media.durationSec,
    videoFrames: report.stats.videoFrames,
    cpuSecByApp,
    peakMemBytesByApp,
    sampledPeakRssBytes: sampledTotal,
    memoryMethod: resetOk ? 'VmHWM after clear_refs, ffmpeg sampled' : 'VmRSS sampled every 100 ms',
    serveCpuSec: (readStat(t.serve.pid as number)?.cpuSec ?? NaN) - serveBefore,
    transport,
  };
}

async function waitFor<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
