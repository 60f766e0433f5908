/**
 * `npm run bench:live [streams] [seconds]`: how many concurrent live 1280×720 25 fps HLS streams
 * the monolith's pipeline watches in real time on this machine with all default detectors
 * (black, freeze, silence, clipping), and how fast it alerts.
 *
 * One clip (testsrc2 and a tone, black for 2.5 s and silent for 3 s about every 20 s, 2 s
 * segments) is encoded once; a loopback origin (live-origin.ts) publishes it as N live streams
 * with staggered clocks. One process runs N analyses exactly as the monolith composes them (one
 * converter, one detector group, one aggregator), stops them after `seconds` and reports:
 * - keeping up: each stream's distance behind its live capture clock, at 10 s and at the end;
 *   a stream falls behind when that distance grows by more than one segment;
 * - alert latency: from the publication of the segment that completes a defect's minimum
 *   duration (black 1 s, silence 2 s: before it, nobody can know) to the delivery of its
 *   "opened" alert: the monolith's Notifier (log + webhook) POSTs it to a webhook consumer on
 *   loopback, and the latency is taken when the POST arrives (the aggregator's own
 *   `onDefectOpened`, before delivery, is reported beside it);
 * - CPU: user+sys of this process and every ffmpeg it ran, in cores.
 */
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDetector } from '@framewatch/detectors';
import { createMediaConverter } from '@framewatch/media';
import { createLogNotifier, createNotifyingListener } from '@framewatch/notify';
import type { DefectAlert } from '@framewatch/notify';
import { createLogger } from '@framewatch/observability';
import { combineListeners, createAggregator, defaultEventRules, runAnalysis } from '@framewatch/pipeline';
import type { DefectEvent, SourceEvent } from '@framewatch/pipeline';
import { startLiveOrigin } from './live-origin';
import type { OriginSegment } from './live-origin';
import { readStat } from './procfs';

const SEGMENT_SEC = 2;
const CLIP_SEC = 110;
/**
 * Injected defects, clip seconds: [start, end]. The starts fall at different points of their
 * 2 s segments, since where a defect becomes knowable within a segment changes its latency (the
 * last frames of a segment leave the demuxer and decoder only when the next segment arrives).
 */
const BLACK = [15.3, 35.9, 55.5, 76.1, 95.7].map((s) => [s, s + 2.5] as const);
const SILENCE = [25.1, 45.6, 66.2, 85.4, 105.8].map((s) => [s, s + 3] as const);

function encodeClip(dir: string): OriginSegment[] {
  const playlist = path.join(dir, 'clip.m3u8');
  if (!existsSync(playlist)) {
    mkdirSync(dir, { recursive: true });
    const black = BLACK.map(([a, b]) => `between(t,${a},${b})`).join('+');
    const quiet = SILENCE.map(([a, b]) => `between(t,${a},${b})`).join('+');
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=25,drawbox=c=black:t=fill:enable='${black}'`,
      '-f', 'lavfi', '-i', `sine=f=440:r=48000,volume=0:enable='${quiet}'`,
      '-t', String(CLIP_SEC), '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-c:a', 'aac', '-f', 'hls', '-hls_time', String(SEGMENT_SEC), '-hls_list_size', '0', '-hls_playlist_type', 'vod',
      '-hls_segment_filename', path.join(dir, 'seg%03d.ts'), playlist,
    ]);
  }
  const lines = readFileSync(playlist, 'utf8').split('\n');
  const segments: OriginSegment[] = [];
  lines.forEach((line, i) => {
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) segments.push({ durationSec: Number(m[1]), file: path.join(dir, (lines[i + 1] ?? '').trim()) });
  });
  if (segments.length === 0 || readdirSync(dir).length < segments.length) throw new Error(`no segments in ${playlist}`);
  return segments;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
}

interface StreamState {
  firstSegment: number | null;
  mediaSec: number;
  /** Distance behind the live capture clock, sampled every 500 ms: [seconds into the run, lag]. */
  lags: [number, number][];
}

async function main(): Promise<void> {
  const streams = Number(process.argv[2] ?? 32);
  const seconds = Number(process.argv[3] ?? 60);
  if (!Number.isInteger(streams) || streams < 1 || !(seconds >= 20)) throw new Error('usage: live.js [streams ≥ 1] [seconds ≥ 20]');
  const segments = encodeClip(path.join(process.cwd(), 'tmp', 'bench', 'live-v2'));
  // The origin repeats the clip: segment i is the clip's segment i mod n, in pass ⌊i / n⌋, and a
  // stream's timeline runs on across passes (the decoder smooths the timestamp jump back).
  const n = segments.length;
  const total = segments.reduce((a, s) => a + s.durationSec, 0);
  const clipStart = (i: number): number => Math.floor(i / n) * total + segments.slice(0, i % n).reduce((a, s) => a + s.durationSec, 0);
  const segmentAt = (sec: number): number => {
    const pass = Math.floor(sec / total);
    let t = pass * total;
    for (let i = 0; i < n; i++) if ((t += (segments[i] as OriginSegment).durationSec) > sec) return pass * n + i;
    return (pass + 1) * n;
  };

  // Every stream has been live for 3 segments when watching starts; clocks spread over a segment.
  const base = performance.now() - 3 * SEGMENT_SEC * 1000 - 100;
  const startMs = (k: number): number => base + (k * SEGMENT_SEC * 1000) / streams;
  const origin = await startLiveOrigin({ segments, streams, startMs });

  const state: StreamState[] = Array.from({ length: streams }, () => ({ firstSegment: null, mediaSec: 0, lags: [] }));
  const latencies: Record<'black' | 'silence', number[]> = { black: [], silence: [] };
  /** The same, taken when the aggregator raised the alert, before the Notifier delivered it. */
  const raised: number[] = [];
  let unmatched = 0;
  /** Streams the runner itself marked degraded (more than 10 s behind real time, or segments skipped). */
  const degradedStreams = new Set<number>();
  const streamOf = (id: string): number => Number(id.slice('live-'.length));
  /** Seconds from the publication of the segment that made `event` knowable to `now`, or null for no injected defect. */
  const latencyOf = (id: string, event: DefectEvent, now: number): number | null => {
    const k = streamOf(id);
    const s = state[k] as StreamState;
    if (s.firstSegment === null || (event.type !== 'black' && event.type !== 'silence')) return null;
    const sec = clipStart(s.firstSegment) + event.startSec;
    const passStart = Math.floor(sec / total) * total;
    const injected = (event.type === 'black' ? BLACK : SILENCE).find(([a]) => Math.abs(passStart + a - sec) <= 0.5);
    if (!injected) return null;
    // The segment holding the defect's last frame of its minimum duration (a hair before the sum:
    // a defect reaching its minimum exactly at a segment boundary is knowable from the earlier one).
    const knowable = segmentAt(passStart + injected[0] + defaultEventRules[event.type].minDurationSec - 0.001);
    return (now - origin.publishedAt(k, knowable)) / 1000;
  };
  // The webhook consumer: an alert is delivered when its POST has arrived here.
  const consumer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      res.writeHead(204).end();
      const alert = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DefectAlert;
      if (alert.kind !== 'opened' || (alert.event.type !== 'black' && alert.event.type !== 'silence')) return;
      const latency = latencyOf(alert.jobId, alert.event, now);
      if (latency === null) unmatched++;
      else latencies[alert.event.type].push(latency);
    });
  });
  consumer.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => consumer.listen(0, '127.0.0.1', resolve));
  const logger = createLogger({ name: 'bench-live', level: 'warn' });
  const notifier = createLogNotifier({ logger, webhookUrl: `http://127.0.0.1:${(consumer.address() as AddressInfo).port}/alerts` });
  const alerts = createNotifyingListener(notifier, logger);
  const aggregator = createAggregator({
    listener: combineListeners(alerts, {
      onDefectOpened: (id, event) => {
        const latency = latencyOf(id, event, performance.now());
        if (latency !== null) raised.push(latency);
      },
    }),
  });
  const converter = createMediaConverter({ allowPrivateSources: true });
  const detector = createDetector();
  const stop = new AbortController();
  // Every analysis listens to the one stop signal.
  setMaxListeners(4 * streams + 10, stop.signal);
  const cpuStart = readStat(process.pid)?.cpuSec ?? 0;
  const wallStart = performance.now();
  const lagOf = (k: number): number | null => {
    const s = state[k] as StreamState;
    if (s.firstSegment === null) return null;
    return (performance.now() - startMs(k)) / 1000 - (clipStart(s.firstSegment) + s.mediaSec);
  };
  // Memory over the run (issue 6: flat over hours, no per-frame growth): [seconds, RSS MB, heap MB].
  const memory: [number, number, number][] = [];
  const sampler = setInterval(() => {
    const at = (performance.now() - wallStart) / 1000;
    const { rss, heapUsed } = process.memoryUsage();
    memory.push([at, rss / 2 ** 20, heapUsed / 2 ** 20]);
    state.forEach((s, k) => {
      const lag = lagOf(k);
      if (lag !== null) s.lags.push([at, lag]);
    });
  }, 500);

  console.log(`bench:live: ${streams} live 1280×720 25 fps streams, ${SEGMENT_SEC} s segments, ${seconds} s, one process (the monolith's pipeline)…`);
  const runs = Array.from({ length: streams }, (_, k) =>
    runAnalysis(
      { converter, detectors: [detector], aggregator },
      {
        id: `live-${k}`,
        source: { url: origin.url(k) },
        stopSignal: stop.signal,
        onProgress: (p) => ((state[k] as StreamState).mediaSec = p.mediaSec),
        onDegraded: (d) => {
          if (d.degraded) degradedStreams.add(k);
        },
        onSourceEvent: (e: SourceEvent) => {
          const s = state[k] as StreamState;
          if (e.type === 'segment' && s.firstSegment === null) s.firstSegment = Number(e['sequence']);
        },
      },
    ).catch((err: unknown) => {
      console.error(`stream ${k}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  clearInterval(sampler);
  stop.abort();
  const results = await Promise.all(runs);
  await alerts.flush();
  const wallSec = (performance.now() - wallStart) / 1000;
  const cpuSec = (readStat(process.pid)?.cpuSec ?? 0) - cpuStart;
  await origin.close();
  consumer.closeAllConnections();
  await new Promise((resolve) => consumer.close(resolve));

  const failed = results.filter((r) => r === null).length;
  // Segments arrive whole, so the lag saw-tooths by a segment; compare its floor (the minimum
  // over 10 s) at the start (5–15 s) and at the end: a stream that keeps up has the same floor.
  const floor = (s: StreamState, from: number, to: number): number => Math.min(...s.lags.filter(([t]) => t >= from && t < to).map(([, l]) => l));
  const growth = state.map((s) => floor(s, seconds - 10, seconds) - floor(s, 5, 15));
  const behind = growth.filter((g) => !(g <= SEGMENT_SEC)).length;
  const lagEnd = state.map((s) => floor(s, seconds - 10, seconds));
  const all = [...latencies.black, ...latencies.silence];
  // Defects each stream could have reported: after its join point, knowable before the stop.
  const stopAt = wallStart + seconds * 1000;
  const expected = state.reduce((sum, s, k) => {
    if (s.firstSegment === null) return sum;
    const joined = clipStart(s.firstSegment);
    const knowable = (list: readonly (readonly [number, number])[], min: number): number => {
      let found = 0;
      for (let passStart = 0; origin.publishedAt(k, segmentAt(passStart)) < stopAt; passStart += total) {
        found += list.filter(([a]) => passStart + a >= joined && origin.publishedAt(k, segmentAt(passStart + a + min - 0.001)) < stopAt).length;
      }
      return found;
    };
    return sum + knowable(BLACK, defaultEventRules.black.minDurationSec) + knowable(SILENCE, defaultEventRules.silence.minDurationSec);
  }, 0);
  const target = SEGMENT_SEC + 1;
  const p95 = percentile(all, 95);
  console.log('');
  console.log(`| streams | failed | fell behind | lag floor at end, max (s) | CPU (cores) | alerts / expected | latency p50 (s) | p95 (s) | max (s) |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  console.log(
    `| ${streams} | ${failed} | ${behind} | ${Math.max(...lagEnd).toFixed(1)} | ${(cpuSec / wallSec).toFixed(2)} | ${all.length} / ${expected} | ${percentile(all, 50).toFixed(2)} | ${p95.toFixed(2)} | ${Math.max(...all).toFixed(2)} |`,
  );
  console.log('');
  console.log(`streams the runner marked degraded (> 10 s behind real time, or segments skipped): ${degradedStreams.size}`);
  console.log(`latency to the webhook: black p50/p95 ${percentile(latencies.black, 50).toFixed(2)}/${percentile(latencies.black, 95).toFixed(2)} s; silence ${percentile(latencies.silence, 50).toFixed(2)}/${percentile(latencies.silence, 95).toFixed(2)} s; alerts not matching an injected defect: ${unmatched}`);
  console.log(`latency to the aggregator's onDefectOpened (before delivery): p50/p95 ${percentile(raised, 50).toFixed(2)}/${percentile(raised, 95).toFixed(2)} s over ${raised.length} alerts`);
  console.log(memoryLine(memory, seconds));
  console.log(`targets: ≥ 32 streams with none behind: ${streams >= 32 && behind === 0 && failed === 0 ? 'met' : 'NOT met'} (${streams} streams, ${behind} behind, ${failed} failed); p95 alert latency ≤ ${target} s: ${p95 <= target ? 'met' : 'MISSED'}`);
}

/**
 * RSS and heap after the first 30 s (start-up and the first segments), at the end, and their
 * trend: the least-squares slope over the samples after 30 s, in MB per hour. A pipeline that
 * keeps something per frame or per segment shows a steady positive slope; GC noise averages out.
 */
function memoryLine(samples: [number, number, number][], seconds: number): string {
  const settled = samples.filter(([t]) => t >= Math.min(30, seconds / 2));
  const slope = (pick: (s: [number, number, number]) => number): number => {
    const n = settled.length;
    if (n < 2) return 0;
    const mt = settled.reduce((a, s) => a + s[0], 0) / n;
    const mv = settled.reduce((a, s) => a + pick(s), 0) / n;
    const num = settled.reduce((a, s) => a + (s[0] - mt) * (pick(s) - mv), 0);
    const den = settled.reduce((a, s) => a + (s[0] - mt) ** 2, 0);
    return den > 0 ? (num / den) * 3600 : 0;
  };
  const [first, last] = [settled[0], settled[settled.length - 1]];
  if (!first || !last) return 'memory: too few samples';
  const max = Math.max(...settled.map(([, rss]) => rss));
  // RSS at each quarter of the run after the first 30 s: a plateau and a steady climb look different.
  const quarters = [0.25, 0.5, 0.75].map((q) => settled[Math.floor(q * (settled.length - 1))] as [number, number, number]);
  return (
    `memory: RSS ${first[1].toFixed(0)} MB at ${first[0].toFixed(0)} s, ${quarters.map(([t, rss]) => `${rss.toFixed(0)} at ${t.toFixed(0)} s`).join(', ')}, ` +
    `${last[1].toFixed(0)} MB at the end (max ${max.toFixed(0)}), trend ${slope((s) => s[1]).toFixed(1)} MB/h; ` +
    `heap ${first[2].toFixed(0)} → ${last[2].toFixed(0)} MB, trend ${slope((s) => s[2]).toFixed(1)} MB/h (the benchmark's own samples included)`
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
