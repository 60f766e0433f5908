/**
 * Turning the topology benchmark's per-job samples into per-topology medians, per-frame
 * transport figures and the cost model's input. Pure, so it is unit-tested.
 */
import { median } from './cpu';
import { medianRecord } from './cost-model';
import type { JobMeasurement } from './cost-model';
import type { TransportLine } from './transport-log';

/** The fields of a measured job that the summary reads (a subset of the harness's JobSample). */
export interface SampleInput {
  topology: JobMeasurement['topology'];
  wallSec: number;
  jobWallSec: number;
  mediaSec: number;
  videoFrames: number;
  cpuSecByApp: Record<string, number>;
  peakMemBytesByApp: Record<string, number>;
  transport: Pick<TransportLine, 'rpc' | 'calls' | 'frameStore'>;
}

/** Medians of one topology over its runs. */
export interface TopologySummary {
  topology: JobMeasurement['topology'];
  runs: number;
  wallSec: number;
  jobWallSec: number;
  /** CPU seconds of every process; the median of per-run totals. */
  cpuSec: number;
  /** Peak memory summed over the processes; the median of per-run totals. */
  peakMemBytes: number;
  perFrame: {
    /**
     * Bytes between processes per video frame: RPC bytes both ways (headers included) plus the
     * frames-store bytes written and read. Reads are not counted by the converter (they happen
     * in the detectors): each stored batch is read whole once per detector group, so bytes read
     * are taken as bytes written × GETs / PUTs.
     */
    bytes: number;
    rpcBytes: number;
    frameStoreBytes: number;
    rpcCalls: number;
    puts: number;
    gets: number;
    deletes: number;
  };
  /** The cost model's input, from the same medians. */
  measurement: JobMeasurement;
}

/** Per-job totals of the transport counters, with frames-store GETs taken from `detectStored` calls. */
export function transportTotals(t: SampleInput['transport']): Record<string, number> {
  const store = t.frameStore ?? { puts: 0, deletes: 0, bytesWritten: 0 };
  const gets = t.calls.stored;
  const bytesRead = store.puts > 0 ? (store.bytesWritten * gets) / store.puts : 0;
  return {
    rpcBytes: t.rpc.bytesSent + t.rpc.bytesReceived,
    frameStoreBytes: store.bytesWritten + bytesRead,
    rpcCalls: t.rpc.calls,
    detectorCalls: t.calls.detector,
    storedCalls: t.calls.stored,
    aggregatorCalls: t.calls.aggregator,
    puts: store.puts,
    gets,
    deletes: store.deletes,
  };
}

const total = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);

/**
 * Summarises the samples of one topology (all of the same topology, at least one). Each figure
 * is the median over runs of that figure, so two figures need not come from the same run.
 *
 * @example
 * const summary = summarizeTopology(samples.filter((s) => s.topology === 'services'));
 */
export function summarizeTopology(samples: SampleInput[]): TopologySummary {
  const first = samples[0];
  if (!first || samples.some((s) => s.topology !== first.topology)) throw new Error('summarizeTopology needs samples of one topology');
  const counts = medianRecord(samples.map((s) => transportTotals(s.transport)));
  const frames = median(samples.map((s) => s.videoFrames));
  const per = (n: number): number => (frames > 0 ? n / frames : 0);
  return {
    topology: first.topology,
    runs: samples.length,
    wallSec: median(samples.map((s) => s.wallSec)),
    jobWallSec: median(samples.map((s) => s.jobWallSec)),
    cpuSec: median(samples.map((s) => total(s.cpuSecByApp))),
    peakMemBytes: median(samples.map((s) => total(s.peakMemBytesByApp))),
    perFrame: {
      bytes: per((counts['rpcBytes'] ?? 0) + (counts['frameStoreBytes'] ?? 0)),
      rpcBytes: per(counts['rpcBytes'] ?? 0),
      frameStoreBytes: per(counts['frameStoreBytes'] ?? 0),
      rpcCalls: per(counts['rpcCalls'] ?? 0),
      puts: per(counts['puts'] ?? 0),
      gets: per(counts['gets'] ?? 0),
      deletes: per(counts['deletes'] ?? 0),
    },
    measurement: {
      topology: first.topology,
      mediaSec: median(samples.map((s) => s.mediaSec)),
      videoFrames: frames,
      cpuSecByApp: medianRecord(samples.map((s) => s.cpuSecByApp)),
      peakMemBytesByApp: medianRecord(samples.map((s) => s.peakMemBytesByApp)),
      rpcCalls: { detector: counts['detectorCalls'] ?? 0, stored: counts['storedCalls'] ?? 0, aggregator: counts['aggregatorCalls'] ?? 0 },
      frameStore: { puts: counts['puts'] ?? 0, gets: counts['gets'] ?? 0, deletes: counts['deletes'] ?? 0 },
    },
  };
}
