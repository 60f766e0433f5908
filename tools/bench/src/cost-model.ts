/**
 * The topology benchmark's cost model: measured per-job counts → an estimated AWS bill per
 * stream-hour. Pure functions over plain numbers, so the arithmetic is testable and the prices
 * sit in one place.
 */
import { median } from './cpu';

/**
 * us-east-1 on-demand list prices, in USD. These are the prices as known on the date given
 * (assumed, not fetched: check https://aws.amazon.com/pricing before quoting the result as a
 * bill). Every price has been unchanged for years; the date says when it was last assumed.
 */
export const awsPrices = {
  /** AWS Fargate, Linux/x86, per vCPU-hour (assumed 2025-01-01). */
  fargateVcpuHour: 0.04048,
  /** AWS Fargate, Linux/x86, per GB of memory per hour (assumed 2025-01-01). */
  fargateGbHour: 0.004445,
  /** AWS Lambda, x86, per GB-second of duration (assumed 2025-01-01; first tier, no free tier). */
  lambdaGbSecond: 0.0000166667,
  /** AWS Lambda, per request ($0.20 per 1 M; assumed 2025-01-01). */
  lambdaRequest: 0.2 / 1_000_000,
  /** Amazon S3 Standard, PUT/COPY/POST/LIST per 1,000 requests (assumed 2025-01-01). */
  s3PutPer1000: 0.005,
  /** Amazon S3 Standard, GET/SELECT per 1,000 requests (assumed 2025-01-01). */
  s3GetPer1000: 0.0004,
  /** Amazon S3, DELETE requests are free (assumed 2025-01-01). */
  s3DeletePer1000: 0,
  /** AWS Step Functions Standard workflows, per 1,000 state transitions (assumed 2025-01-01). */
  stepFunctionsTransitionPer1000: 0.025,
} as const;

/**
 * Lambda memory size that buys exactly one vCPU (AWS Lambda documentation: 1,769 MB). The model
 * configures the detector and aggregator functions at this size so that an invocation's
 * duration is its CPU time, as the brief's "duration ≈ measured CPU" asks; a smaller function
 * gets a proportionally smaller CPU share and runs proportionally longer, so the GB-seconds of a
 * CPU-bound function come out the same at any size below this one.
 */
export const lambdaOneVcpuGb = 1.769;

/** Per-job measurements of one topology (medians over runs), the cost model's input. */
export interface JobMeasurement {
  topology: 'monolith' | 'services' | 'services-s3';
  /** Media duration of the job, seconds. */
  mediaSec: number;
  videoFrames: number;
  /** CPU seconds by app (`monolith`, `api`, `media-converter`, `detector`, `aggregator`), summed over its processes. */
  cpuSecByApp: Record<string, number>;
  /** Peak resident memory by app in bytes, summed over its processes. */
  peakMemBytesByApp: Record<string, number>;
  /** RPC calls by client, from the converter's per-job log line. */
  rpcCalls: { detector: number; stored: number; aggregator: number };
  /** Frames-store operations; GETs are the `detectStored` calls (one GET each, in the detector). */
  frameStore: { puts: number; gets: number; deletes: number };
}

/** One topology's estimated bill. */
export interface CostEstimate {
  topology: JobMeasurement['topology'];
  /** USD per stream-hour, by line item. */
  items: Record<string, number>;
  /** USD per stream-hour, all items. */
  totalUsd: number;
  /** Counts the items were priced from, per stream-hour. */
  usage: Record<string, number>;
}

/** Apps that `services-s3` runs as Lambda functions, as in Prime Video's original design. */
const lambdaApps = new Set(['detector', 'aggregator']);

/**
 * Step Functions state transitions of one job in the modelled state machine, per batch: a
 * Parallel state that fans the batch out (1 — one batch is one frames-store PUT), one Task per
 * detector-group invocation (the `detectStored` calls: 2 with the two groups), and one Task per
 * aggregator call (measured: one per group's DetectionBatch, so 2). That is 5 per batch with
 * two groups. No Pass/Choice states, Map iterations or retries, so it is a lower bound on what
 * a real workflow would be billed.
 */
export function transitionsPerJob(m: JobMeasurement): number {
  return m.frameStore.puts + m.rpcCalls.stored + m.rpcCalls.aggregator;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const gb = (bytes: number): number => bytes / 1e9;

/**
 * Estimates the AWS cost of one stream-hour from one job's measurements, scaling every count by
 * 3600 / mediaSec (the job analysed `mediaSec` of media; a live stream-hour is 3600 of them).
 *
 * - `monolith`, `services`: Fargate. vCPU-hours = CPU seconds scaled to the hour / 3600, i.e.
 *   tasks packed with streams until their vCPUs are busy; GB-hours = the summed peak memory of
 *   the processes held for the whole hour. RPC between services stays in the VPC: no charge.
 * - `services-s3`: the original serverless design. Detector and aggregator calls are Lambda
 *   requests, with duration = their processes' CPU time at {@link lambdaOneVcpuGb}; the
 *   converter and the API stay on Fargate as above; each batch is one S3 PUT, one GET per
 *   detector group and a free DELETE; Step Functions transitions per {@link transitionsPerJob}.
 *
 * @example
 * const estimate = estimateStreamHourCost(measurement);
 * console.log(`${estimate.topology}: $${estimate.totalUsd.toFixed(4)} per stream-hour`);
 */
export function estimateStreamHourCost(m: JobMeasurement, prices: typeof awsPrices = awsPrices): CostEstimate {
  const scale = 3600 / m.mediaSec;
  const serverless = m.topology === 'services-s3';
  const onFargate = (app: string): boolean => !serverless || !lambdaApps.has(app);
  const fargateCpuSec = sum(Object.entries(m.cpuSecByApp).filter(([app]) => onFargate(app)).map(([, v]) => v)) * scale;
  const fargateMemGb = gb(sum(Object.entries(m.peakMemBytesByApp).filter(([app]) => onFargate(app)).map(([, v]) => v)));
  const fargateVcpuHours = fargateCpuSec / 3600;
  // Memory is held for the whole hour, whatever share of it the CPU is busy.
  const fargateGbHours = fargateMemGb * 1;
  const usage: Record<string, number> = { fargateVcpuHours, fargateGbHours };
  const items: Record<string, number> = {
    fargateVcpu: fargateVcpuHours * prices.fargateVcpuHour,
    fargateMemory: fargateGbHours * prices.fargateGbHour,
  };
  if (serverless) {
    const lambdaCpuSec = sum(Object.entries(m.cpuSecByApp).filter(([app]) => lambdaApps.has(app)).map(([, v]) => v)) * scale;
    usage['lambdaRequests'] = (m.rpcCalls.detector + m.rpcCalls.stored + m.rpcCalls.aggregator) * scale;
    usage['lambdaGbSeconds'] = lambdaCpuSec * lambdaOneVcpuGb;
    usage['s3Puts'] = m.frameStore.puts * scale;
    usage['s3Gets'] = m.frameStore.gets * scale;
    usage['s3Deletes'] = m.frameStore.deletes * scale;
    usage['stateTransitions'] = transitionsPerJob(m) * scale;
    items['lambdaRequests'] = usage['lambdaRequests'] * prices.lambdaRequest;
    items['lambdaDuration'] = usage['lambdaGbSeconds'] * prices.lambdaGbSecond;
    items['s3Requests'] =
      (usage['s3Puts'] * prices.s3PutPer1000 + usage['s3Gets'] * prices.s3GetPer1000 + usage['s3Deletes'] * prices.s3DeletePer1000) / 1000;
    items['stepFunctions'] = (usage['stateTransitions'] * prices.stepFunctionsTransitionPer1000) / 1000;
  }
  return { topology: m.topology, items, totalUsd: sum(Object.values(items)), usage };
}

/** `1 - cheap/dear` as a percentage: how much cheaper `cheap` is. */
export function savingPercent(cheap: number, dear: number): number {
  return dear > 0 ? (1 - cheap / dear) * 100 : 0;
}

/**
 * Field-wise medians of a non-empty list of numeric records (e.g. CPU by app over runs). Each
 * field's median is taken on its own, so the result need not be any single run.
 */
export function medianRecord(records: Record<string, number>[]): Record<string, number> {
  const keys = new Set(records.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...keys].map((k) => [k, median(records.map((r) => r[k] ?? 0))]));
}
