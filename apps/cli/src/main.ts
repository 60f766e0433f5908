import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '@framewatch/config';
import { ExitCode, UsageError, exitCodeFor, toFramewatchError } from '@framewatch/errors';
import { createLogger } from '@framewatch/observability';
import path from 'node:path';
import { analyzeCommand } from './analyze';
import { serveCommand } from './serve';

/** Prints one line for an error and returns its exit code; stack traces only at debug level. */
function fail(err: unknown, debug: boolean): number {
  const fw = toFramewatchError(err);
  process.stderr.write(`framewatch: ${fw.code}: ${fw.message}\n`);
  if (debug && fw.cause instanceof Error) process.stderr.write(`${fw.cause.stack ?? ''}\n`);
  return exitCodeFor(fw);
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  let exitCode: number = ExitCode.OK;

  const program = new Command('framewatch')
    .description('Watch audio/video files and streams for defects viewers notice.')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .showHelpAfterError(false);

  program
    .command('analyze')
    .description('analyse a file or URL and write report.json and report.html')
    .argument('<source>', 'a media file path, an http(s) URL (HLS: .m3u8), srt://host:port or udp://[@]address:port')
    .option('--json', 'print only the report JSON on stdout', false)
    .option('--out <dir>', 'directory for report.json and report.html', 'framewatch-report')
    .option('--detectors <list>', 'comma-separated detectors to run (default: all)')
    .option('--fail-on-defect', 'exit 1 when any defect is found', false)
    .option('--data-dir <dir>', 'data directory (FRAMEWATCH_DATA_DIR)')
    .option('--allow-private-sources', 'allow URLs on loopback/private networks (FRAMEWATCH_ALLOW_PRIVATE_SOURCES)')
    .addOption(new Option('--log-level <level>', 'log level on stderr (FRAMEWATCH_LOG_LEVEL)').choices(['error', 'warn', 'info', 'debug', 'silent']))
    .action(async (source: string, opts: Record<string, unknown>) => {
      const config = loadConfig({
        overrides: {
          dataDir: opts['dataDir'] as string | undefined,
          allowPrivateSources: opts['allowPrivateSources'] as boolean | undefined,
          logLevel: opts['logLevel'] as string | undefined,
        },
        defaults: { logLevel: 'warn' },
      });
      const log = createLogger({ name: 'cli', level: config.logLevel });
      const detectors = typeof opts['detectors'] === 'string' ? opts['detectors'].split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      exitCode = await analyzeCommand(
        source,
        { json: opts['json'] === true, out: String(opts['out']), detectors, failOnDefect: opts['failOnDefect'] === true },
        { config, log, term: { stdout: process.stdout, stderr: process.stderr }, signal: controller.signal },
      );
    });

  program
    .command('serve')
    .description('start a whole topology on this machine and print the API URL and a token')
    .addOption(new Option('--topology <name>', 'how the components run').choices(['monolith', 'services', 'services-s3']).default('monolith'))
    .option('--port <port>', 'API port (FRAMEWATCH_PORT)')
    .addOption(new Option('--store <store>', 'where jobs, results, frames and alerts go (FRAMEWATCH_STORE)').choices(['local', 'aws']))
    .option('--data-dir <dir>', 'data directory (FRAMEWATCH_DATA_DIR)')
    .option('--allow-private-sources', 'allow source URLs on loopback/private networks (FRAMEWATCH_ALLOW_PRIVATE_SOURCES)')
    .addOption(new Option('--log-level <level>', 'log level (FRAMEWATCH_LOG_LEVEL)').choices(['error', 'warn', 'info', 'debug', 'silent']))
    .action(async (opts: Record<string, unknown>) => {
      const config = loadConfig({
        overrides: {
          port: opts['port'] as string | undefined,
          store: opts['store'] as string | undefined,
          dataDir: opts['dataDir'] as string | undefined,
          allowPrivateSources: opts['allowPrivateSources'] as boolean | undefined,
          logLevel: opts['logLevel'] as string | undefined,
        },
        defaults: { logLevel: 'info' },
      });
      const log = createLogger({ name: 'serve', level: config.logLevel });
      // The app bundles sit next to this one: dist/apps/<app>/main.js.
      const appsDir = path.resolve(__dirname, '..');
      exitCode = await serveCommand(opts['topology'] as 'monolith' | 'services' | 'services-s3', {
        config,
        log,
        appsDir,
        signal: controller.signal,
        out: process.stdout,
      });
    });

  try {
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.OK; // --help, --version
      return fail(new UsageError(err.message.replace(/^error: /, '')), false);
    }
    return fail(err, process.argv.includes('--log-level=debug'));
  }
}

process.on('unhandledRejection', (err) => {
  process.exitCode = fail(err, false);
});

void main(process.argv).then((code) => {
  process.exitCode = code;
});
