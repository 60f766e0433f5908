import type { RpcClientStats } from '@framewatch/rpc';
import type { FrameHandoff } from '@framewatch/storage';

/**
 * What crossed process boundaries on this worker's side: RPC to the detectors and the aggregator
 * (`rpc` summed over every client, `calls` split by client), and the frames store. Frames-store
 * GETs happen in the detector processes, one per `detectStored` call, so `calls.stored` is what
 * the GET count is taken from: the converter's own handoff sees only its PUTs and DELETEs.
 */
export interface TransportCounters {
  rpc: RpcClientStats;
  calls: { detector: number; stored: number; aggregator: number };
  frameStore: { puts: number; gets: number; deletes: number; bytesWritten: number; bytesRead: number } | null;
}

/** Anything with RPC client counters. */
export type Counted = { stats(): RpcClientStats };

/**
 * A function that reads the counters now; take it at a job's start and end and log
 * {@link transportDelta} of the two.
 *
 * @example
 * const transport = transportCounters({ detector: clients, stored: [], aggregator }, undefined);
 * const before = transport(); … log.info(transportDelta(transport(), before), 'job transport');
 */
export function transportCounters(clients: { detector: Counted[]; stored: Counted[]; aggregator: Counted }, handoff: FrameHandoff | undefined): () => TransportCounters {
  const callsOf = (list: Counted[]): number => list.reduce((n, c) => n + c.stats().calls, 0);
  return () => ({
    rpc: [...clients.detector, ...clients.stored, clients.aggregator]
      .map((c) => c.stats())
      .reduce((sum, c) => combine(sum, c, 1), { calls: 0, attempts: 0, retries: 0, bytesSent: 0, bytesReceived: 0 }),
    calls: { detector: callsOf(clients.detector), stored: callsOf(clients.stored), aggregator: clients.aggregator.stats().calls },
    frameStore: handoff ? handoff.stats() : null,
  });
}

/** Field-wise `x + sign·y` of two counter records of the same shape. */
function combine<T extends object>(x: T, y: T, sign: 1 | -1): T {
  const other = y as Record<string, number>;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, (v as number) + sign * (other[k] ?? 0)])) as T;
}

/** What moved between two readings of {@link transportCounters}. */
export function transportDelta(after: TransportCounters, before: TransportCounters): TransportCounters {
  return {
    rpc: combine(after.rpc, before.rpc, -1),
    calls: combine(after.calls, before.calls, -1),
    frameStore: after.frameStore && before.frameStore ? combine(after.frameStore, before.frameStore, -1) : null,
  };
}

