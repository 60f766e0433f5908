/**
 * Latency and error figures of an HTTP endpoint under load (RELIABILITY L3), from the samples
 * the load generator records: one per request, its latency and status (0 when it never got one).
 */

/** One request as the load generator saw it. */
export interface LoadSample {
  /** Request start to the last byte of the response, milliseconds. */
  ms: number;
  /** HTTP status; 0 when the request failed without a response (reset, refused, timeout). */
  status: number;
}

/** What {@link summarizeLoad} reports for one endpoint. */
export interface LoadSummary {
  endpoint: string;
  requests: number;
  /** Requests per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses other than `expectedStatus`, and requests without a response. */
  errors: number;
  errorRate: number;
  /** `429` answers (rate limited), counted among the errors too. */
  rateLimited: number;
}

/**
 * The nearest-rank percentile `q` (0 < q ≤ 1) of ascending `sorted` values; NaN when empty.
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 2
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/**
 * Summarises one endpoint's samples over a run of `seconds`: throughput, p50/p99/max latency of
 * every request (errors included: a slow failure is still slow), and the error rate, a response
 * other than `expectedStatus` or none at all counting as an error.
 */
export function summarizeLoad(endpoint: string, samples: readonly LoadSample[], seconds: number, expectedStatus = 200): LoadSummary {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => s.status !== expectedStatus).length;
  return {
    endpoint,
    requests: samples.length,
    rps: seconds > 0 ? samples.length / seconds : 0,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    errors,
    errorRate: samples.length > 0 ? errors / samples.length : 0,
    rateLimited: samples.filter((s) => s.status === 429).length,
  };
}
