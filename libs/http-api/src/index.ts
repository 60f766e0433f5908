// Public API of http-api.
export { createApiApp, jobView } from './app';
export type { AnalysisView, ApiApp, ApiDeps, ApiLimits } from './app';
export { PROBLEM_CONTENT_TYPE } from './errors';
export { createApiMetrics, routeLabel } from './metrics';
export type { ApiMetrics } from './metrics';
export { openApiDocument } from './openapi';
export { configureServer, httpServerOptions } from './server';
export type { ServerLimits } from './server';
export { MAX_URL_LENGTH, checkSourceUrl, parseSubmission } from './submission';
export type { Submission } from './submission';
export { apiFromConfig } from './from-config';
