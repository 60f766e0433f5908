export { createLogger, redactedPaths } from './logger';
export type { Logger, LoggerOptions } from './logger';
