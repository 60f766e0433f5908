import { destination, pino, stdSerializers } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/** A structured logger: JSON lines with a level, a time and the bound fields. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Component name, added to every line as `component`. */
  name: string;
  level?: string;
  /** Where lines go; stderr by default so stdout stays free for program output (`--json`). */
  destination?: DestinationStream;
}

/**
 * Field paths whose values are replaced before a line is written: credentials never reach logs.
 */
export const redactedPaths = [
  'authorization',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * Creates a structured logger.
 *
 * @example
 * const log = createLogger({ name: 'cli', level: config.logLevel });
 * log.info({ source }, 'analysis started');
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { component: options.name },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      serializers: { err: stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? destination({ fd: 2, sync: true }),
  );
}
