import { createLogger } from '@framewatch/observability';
import type { Logger } from '@framewatch/observability';

/** A logger whose JSON lines are kept in memory, for assertions on what was logged. */
export function memoryLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const logger = createLogger({ name: 'notify-test', level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  return { logger, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
