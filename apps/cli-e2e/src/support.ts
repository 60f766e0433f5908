import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';

/** The repository root (this file is apps/cli-e2e/src/support.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Scratch space for this suite, under the repository's ignored tmp/. */
export const scratch = path.join(repoRoot, 'tmp', 'cli-e2e');

/** The bundled CLI, built on demand when `jest` runs without `npm test`'s build step. */
export function cliBundle(): string {
  const main = path.join(repoRoot, 'dist', 'apps', 'cli', 'main.js');
  if (!existsSync(main)) {
    const built = spawnSync(process.execPath, ['tools/scripts/bundle.mjs', 'apps/cli/src/main.ts', 'dist/apps/cli'], { cwd: repoRoot, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building the CLI failed: ${built.stderr}`);
  }
  mkdirSync(scratch, { recursive: true });
  return main;
}

/** Result of one CLI run. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `framewatch <args>` as a real process with this process's environment, plus `env`. */
export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const result = spawnSync(process.execPath, [cliBundle(), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: childEnvironment(env) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Polls `check` every 100 ms until it holds (true) or `timeoutMs` passes (false). */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
