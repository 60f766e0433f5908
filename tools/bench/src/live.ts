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
 *   duration (black 1 s, silence 2 s: before it, nobody can know) to the aggregator's
 *   `onDefectOpened` for it;
 * - CPU: user+sys of this process and every ffmpeg it ran, in cores.
 */
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createDetector } from '@framewatch/detectors';
import { createMediaConverter } from '@framewatch/media';
import { createAggregator, defaultEventRules, runAnalysis } from '@framewatch/pipeline';
import type { SourceEvent } from '@framewatch/pipeline';
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
  const clipStart = (i: number): number => segments.slice(0, i).reduce((a, s) => a + s.durationSec, 0);
  const segmentAt = (clipSec: number): number => {
    let t = 0;
    for (let i = 0; i < segments.length; i++) if ((t += (segments[i] as OriginSegment).durationSec) > clipSec) return i;
    return segments.length;
  };

  // Every stream has been live for 3 segments when watching starts; clocks spread over a segment.
  const base = performance.now() - 3 * SEGMENT_SEC * 1000 - 100;
  const startMs = (k: number): number => base + (k * SEGMENT_SEC * 1000) / streams;
  const origin = await startLiveOrigin({ segments, streams, startMs });

  const state: StreamState[] = Array.from({ length: streams }, () => ({ firstSegment: null, mediaSec: 0, lags: [] }));
  const latencies: Record<'black' | 'silence', number[]> = { black: [], silence: [] };
  let unmatched = 0;
  /** Streams the runner itself marked degraded (more than 10 s behind real time, or segments skipped). */
  const degradedStreams = new Set<number>();
  const streamOf = (id: string): number => Number(id.slice('live-'.length));
  const aggregator = createAggregator({
    listener: {
      onDefectOpened: (id, event) => {
        const now = performance.now();
        const k = streamOf(id);
        const s = state[k] as StreamState;
        if (s.firstSegment === null || (event.type !== 'black' && event.type !== 'silence')) return;
        const clipSec = clipStart(s.firstSegment) + event.startSec;
        const injected = (event.type === 'black' ? BLACK : SILENCE).find(([a]) => Math.abs(a - clipSec) <= 0.5);
        if (!injected) return void unmatched++;
        // The segment holding the defect's last frame of its minimum duration (a hair before the sum:
        // a defect reaching its minimum exactly at a segment boundary is knowable from the earlier one).
        const knowable = segmentAt(injected[0] + defaultEventRules[event.type].minDurationSec - 0.001);
        latencies[event.type].push((now - origin.publishedAt(k, knowable)) / 1000);
      },
    },
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
  const sampler = setInterval(() => {
    const at = (performance.now() - wallStart) / 1000;
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
  const wallSec = (performance.now() - wallStart) / 1000;
  const cpuSec = (readStat(process.pid)?.cpuSec ?? 0) - cpuStart;
  await origin.close();

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
    const knowable = (list: readonly (readonly [number, number])[], min: number): number =>
      list.filter(([a]) => a >= joined && origin.publishedAt(k, segmentAt(a + min - 0.001)) < stopAt).length;
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
  console.log(`black latency p50/p95 ${percentile(latencies.black, 50).toFixed(2)}/${percentile(latencies.black, 95).toFixed(2)} s; silence ${percentile(latencies.silence, 50).toFixed(2)}/${percentile(latencies.silence, 95).toFixed(2)} s; alerts not matching an injected defect: ${unmatched}`);
  console.log(`targets: ≥ 32 streams with none behind: ${streams >= 32 && behind === 0 && failed === 0 ? 'met' : 'NOT met'} (${streams} streams, ${behind} behind, ${failed} failed); p95 alert latency ≤ ${target} s: ${p95 <= target ? 'met' : 'MISSED'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
