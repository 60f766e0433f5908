/**
 * Prometheus metrics of the HTTP API. Each app gets its own registry (no module-level
 * singletons), so tests and several apps in one process do not share counters.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metrics of one API app, exposed at `/metrics`. */
export interface ApiMetrics {
  registry: Registry;
  /** `framewatch_http_requests_total{method,route,status}`. */
  requests: Counter<'method' | 'route' | 'status'>;
  /** `framewatch_http_request_duration_seconds{method,route,status}`. */
  duration: Histogram<'method' | 'route' | 'status'>;
  /** `framewatch_jobs_submitted_total{source}`: jobs created (url, s3, upload). */
  jobsSubmitted: Counter<'source'>;
  /** `framewatch_http_rejected_total{reason}`: 429s by reason (`rate_limit`, `queue_full`). */
  rejected: Counter<'reason'>;
}

/** Creates the API's metrics in a fresh registry, with Node process metrics unless disabled. */
export function createApiMetrics(options: { processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'framewatch_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'framewatch_http_requests_total',
      help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'framewatch_http_request_duration_seconds',
      help: 'HTTP request duration until the response finished, by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    jobsSubmitted: new Counter({
      name: 'framewatch_jobs_submitted_total',
      help: 'Analysis jobs accepted by the API, by source kind.',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'framewatch_http_rejected_total',
      help: 'Requests refused with 429, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

const routeTemplates: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/healthz$/, '/healthz'],
  [/^\/readyz$/, '/readyz'],
  [/^\/metrics$/, '/metrics'],
  [/^\/openapi\.json$/, '/openapi.json'],
  [/^\/v1\/analyses\/?$/, '/v1/analyses'],
  [/^\/v1\/analyses\/[^/]+\/report$/, '/v1/analyses/{id}/report'],
  [/^\/v1\/analyses\/[^/]+\/events$/, '/v1/analyses/{id}/events'],
  [/^\/v1\/analyses\/[^/]+\/?$/, '/v1/analyses/{id}'],
];

/**
 * The route template a path belongs to, for labels and logs: bounded cardinality, and known even
 * for requests refused before routing (401, 429).
 */
export function routeLabel(path: string): string {
  for (const [pattern, template] of routeTemplates) if (pattern.test(path)) return template;
  return 'other';
}
