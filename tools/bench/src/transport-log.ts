/**
 * Reading the per-job `job transport` lines that the monolith and the media converter log (JSON,
 * forwarded by `framewatch serve` as `[<process>] {…}`).
 */

/** One `job transport` line. */
export interface TransportLine {
  /** The serve process name that logged it, e.g. `media-converter`. */
  process: string;
  jobId: string;
  videoFrames: number;
  audioChunks: number;
  /** Jobs the process was running when it logged: deltas are one job's own only when 1. */
  activeJobs: number;
  rpc: { calls: number; attempts: number; retries: number; bytesSent: number; bytesReceived: number };
  calls: { detector: number; stored: number; aggregator: number };
  /** null in the topologies without a frames store. */
  frameStore: { puts: number; gets: number; deletes: number; bytesWritten: number; bytesRead: number } | null;
}

/** Parses one line of serve's stderr; null for anything that is not a `job transport` line. */
export function parseTransportLine(line: string): TransportLine | null {
  const match = /^\[([^\]]+)\] (\{.*\})\s*$/.exec(line);
  if (!match) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(match[2] as string) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (parsed['msg'] !== 'job transport' || typeof parsed['jobId'] !== 'string' || typeof parsed['rpc'] !== 'object') return null;
  return {
    process: match[1] as string,
    jobId: parsed['jobId'],
    videoFrames: Number(parsed['videoFrames']),
    audioChunks: Number(parsed['audioChunks']),
    activeJobs: Number(parsed['activeJobs']),
    rpc: parsed['rpc'] as TransportLine['rpc'],
    calls: parsed['calls'] as TransportLine['calls'],
    frameStore: (parsed['frameStore'] ?? null) as TransportLine['frameStore'],
  };
}
