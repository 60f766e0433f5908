/**
 * `npm run emulators`: DynamoDB (dynalite), S3 (s3rver) and SNS servers on loopback with the
 * jobs table, buckets and alerts topic created. Prints the settings to point Framewatch at them
 * (as `export` lines a shell can `eval`) and runs until Ctrl-C, then stops them all.
 */
import path from 'node:path';
import { startLocalAws } from './local-aws';

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? 'tmp/emulators');
  const aws = await startLocalAws({ dir });
  process.stdout.write('# Framewatch local AWS is running; point Framewatch at it with:\n');
  for (const [key, value] of Object.entries(aws.env)) process.stdout.write(`export ${key}=${value}\n`);
  process.stdout.write('# Ctrl-C stops the emulators.\n');
  const stop = (): void => {
    void aws.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulators: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
