/**
 * `npm run bench:topologies [runs]`: the same clip through `monolith`, `services` and
 * `services-s3` in one run, side by side (DESIGN.md "Topologies"). All three topologies are
 * started once, each gets one unmeasured warm-up job, then the measured jobs are interleaved
 * (rotating the order every run) so that machine noise hits every topology alike; the table
 * shows medians. Then the frame codec's throughput against JSON, and an estimated AWS cost per
 * stream-hour for each topology from the measured counts (cost-model.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateFixture } from '@framewatch/fixtures';
import { measureCodecThroughput } from '@framewatch/frame-codec';
import { awsPrices, estimateStreamHourCost, lambdaOneVcpuGb, savingPercent, transitionsPerJob } from './cost-model';
import type { CostEstimate } from './cost-model';
import { median } from './cpu';
import { benchTopologies, measureJob, serveFile, startTopology } from './topology-harness';
import type { BenchTopology, JobSample, RunningTopology } from './topology-harness';
import { summarizeTopology } from './topology-summary';
import type { TopologySummary } from './topology-summary';

/** Targets printed with pass/fail. */
const targets = { servicesOverMonolithCpuMax: 1.3, monolithOverServicesS3CostMax: 0.1, codecGbPerSecMin: 2 } as const;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, not "${process.argv[2]}"`);
  const root = process.cwd();
  const dir = path.join(root, 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const clip = await generateFixture('bench-720p', path.join(dir, 'fixtures'));
  const cli = path.join(root, 'dist', 'apps', 'cli', 'main.js');
  const source = await serveFile(clip.mediaPath);

  const running: RunningTopology[] = [];
  const samples: JobSample[] = [];
  try {
    for (const topology of benchTopologies) {
      const dataDir = path.join(dir, 'topologies', topology);
      rmSync(dataDir, { recursive: true, force: true });
      running.push(await startTopology(topology, cli, dataDir));
    }
    console.log(`clip: ${path.relative(root, clip.mediaPath)}; warming up each topology with one unmeasured job`);
    for (const t of running) await measureJob(t, source.url);
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < running.length; i++) {
        const t = running[(run + i) % running.length] as RunningTopology;
        const s = await measureJob(t, source.url);
        samples.push(s);
        console.log(`run ${run + 1}/${runs} ${t.topology}: wall ${s.wallSec.toFixed(2)} s, CPU ${sumValues(s.cpuSecByApp).toFixed(2)} s`);
      }
    }
  } finally {
    await Promise.all(running.map((t) => t.stop()));
    await source.close();
  }

  // After the topologies have stopped, so that they cannot disturb it.
  const codecRuns = Array.from({ length: 5 }, () => measureCodecThroughput());
  const codec = {
    runs: codecRuns.length,
    mediaBytes: codecRuns[0]?.mediaBytes ?? 0,
    codecGbPerSec: median(codecRuns.map((r) => r.codec.gbPerSec)),
    jsonGbPerSec: median(codecRuns.map((r) => r.json.gbPerSec)),
    codecEncodedBytes: codecRuns[0]?.codec.encodedBytes ?? 0,
    jsonEncodedBytes: codecRuns[0]?.json.encodedBytes ?? 0,
  };

  const summaries = Object.fromEntries(benchTopologies.map((t) => [t, summarizeTopology(samples.filter((s) => s.topology === t))])) as Record<
    BenchTopology,
    TopologySummary
  >;
  const costs = Object.fromEntries(benchTopologies.map((t) => [t, estimateStreamHourCost(summaries[t].measurement)])) as Record<BenchTopology, CostEstimate>;
  const processes = Object.fromEntries(running.map((t) => [t.topology, t.apps.map((p) => p.app)]));
  const monolith = summaries.monolith;
  const checks = {
    servicesOverMonolithCpu: summaries.services.cpuSec / monolith.cpuSec,
    monolithOverServicesS3Cost: costs.monolith.totalUsd / costs['services-s3'].totalUsd,
    codecGbPerSec: codec.codecGbPerSec,
  };
  const pass = {
    servicesOverMonolithCpu: checks.servicesOverMonolithCpu <= targets.servicesOverMonolithCpuMax,
    monolithOverServicesS3Cost: checks.monolithOverServicesS3Cost <= targets.monolithOverServicesS3CostMax,
    codecGbPerSec: checks.codecGbPerSec >= targets.codecGbPerSecMin,
  };
  const memoryMethods = [...new Set(samples.map((s) => s.memoryMethod))];

  console.log(
    `\nmedians of ${runs} interleaved runs; CPU = utime+stime+cutime+cstime of every process of the topology (ffmpeg in its parent's cutime; ` +
      `serve itself not counted); peak memory = ${memoryMethods.join(' / ')}, summed over processes`,
  );
  console.log('| topology | processes | wall s | job wallSec | CPU s | peak MB | bytes/frame between processes | RPC calls/frame | store PUT/GET/DELETE per frame | est. $/stream-hour |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of benchTopologies) {
    const s = summaries[t];
    const f = s.perFrame;
    console.log(
      `| ${t} | ${processes[t]?.length ?? '?'} | ${s.wallSec.toFixed(2)} | ${s.jobWallSec.toFixed(2)} | ${s.cpuSec.toFixed(2)} | ${(s.peakMemBytes / 1e6).toFixed(0)} | ` +
        `${Math.round(f.bytes).toLocaleString('en-US')} | ${f.rpcCalls.toFixed(3)} | ${f.puts.toFixed(3)}/${f.gets.toFixed(3)}/${f.deletes.toFixed(3)} | ${costs[t].totalUsd.toFixed(4)} |`,
    );
  }
  console.log('(monolith: bytes and operations are the counters its per-job log line reports — 0, every binding is in-process)');
  console.log('\nestimated AWS cost per stream-hour, by item (USD; us-east-1 list prices in tools/bench/src/cost-model.ts):');
  const items = [...new Set(benchTopologies.flatMap((t) => Object.keys(costs[t].items)))];
  console.log(`| item | ${benchTopologies.join(' | ')} |`);
  console.log(`|---|${benchTopologies.map(() => '---:').join('|')}|`);
  for (const item of items) console.log(`| ${item} | ${benchTopologies.map((t) => (costs[t].items[item] ?? 0).toFixed(5)).join(' | ')} |`);
  console.log(`| total | ${benchTopologies.map((t) => costs[t].totalUsd.toFixed(5)).join(' | ')} |`);
  const s3 = summaries['services-s3'].measurement;
  console.log(
    `Step Functions: ${(s3.frameStore.puts > 0 ? transitionsPerJob(s3) / s3.frameStore.puts : 0).toFixed(2)} state transitions per batch ` +
      `(a Parallel state + a Task per detector-group invocation + a Task per aggregator call); Lambda at ${lambdaOneVcpuGb} GB (one vCPU), duration = measured CPU`,
  );
  console.log(
    `\nmonolith vs services-s3: ${savingPercent(costs.monolith.totalUsd, costs['services-s3'].totalUsd).toFixed(1)}% cheaper per stream-hour; ` +
      `monolith vs services: ${savingPercent(costs.monolith.totalUsd, costs.services.totalUsd).toFixed(1)}% cheaper`,
  );
  console.log(
    `frame codec encode+decode, 25-frame 720p batch (median of ${codec.runs}): ${codec.codecGbPerSec.toFixed(2)} GB/s; JSON+base64: ${codec.jsonGbPerSec.toFixed(3)} GB/s ` +
      `(${(codec.codecGbPerSec / codec.jsonGbPerSec).toFixed(0)}×)`,
  );
  const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  console.log(`\n${mark(pass.servicesOverMonolithCpu)} services CPU / monolith CPU = ${checks.servicesOverMonolithCpu.toFixed(2)} (target ≤ ${targets.servicesOverMonolithCpuMax})`);
  console.log(
    `${mark(pass.monolithOverServicesS3Cost)} monolith cost / services-s3 cost = ${(checks.monolithOverServicesS3Cost * 100).toFixed(1)}% (target ≤ ${targets.monolithOverServicesS3CostMax * 100}%)`,
  );
  console.log(`${mark(pass.codecGbPerSec)} frame codec = ${checks.codecGbPerSec.toFixed(2)} GB/s (target ≥ ${targets.codecGbPerSecMin})`);

  const out = path.join(dir, 'topologies.json');
  const result = {
    clip: { path: path.relative(root, clip.mediaPath), ...clip.truth.video, durationSec: clip.truth.durationSec },
    runs,
    node: process.version,
    measuredAt: new Date().toISOString(),
    processes,
    memoryMethods,
    summaries,
    costs,
    prices: awsPrices,
    lambdaOneVcpuGb,
    codec,
    checks,
    targets,
    pass,
    samples,
  };
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`written: ${path.relative(root, out)}`);
}

function sumValues(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
