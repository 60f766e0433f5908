import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { issueToken } from '@framewatch/auth';
import { childEnvironment } from '@framewatch/config';
import type { AnalysisResult } from '@framewatch/pipeline';
import { freePort, waitHealthy } from '@framewatch/runtime';
import { apiClient, ensureBundles, repoRoot } from './support';

/** What the scenario saw, for the test to judge. */
export interface KillRestartOutcome {
  job: { status: string; attempts: number };
  report: AnalysisResult;
  /** `status` event values in order (running, running, succeeded…). */
  statuses: unknown[];
}

/**
 * RELIABILITY R3 on the monolith: submit `file`, SIGKILL the process once the job is running,
 * start it again, and wait for the job to end. `env` selects the stores (local by default, or
 * the local AWS endpoints); the lease is 2 s so the resumed attempt starts quickly.
 */
export async function killAndResume(file: string, dataDir: string, env: Record<string, string> = {}): Promise<KillRestartOutcome> {
  ensureBundles();
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freePort();
  const jwtSecret = randomBytes(32).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = (): ChildProcess => {
    child = spawn(process.execPath, [path.join(repoRoot, 'dist/apps/monolith/main.js')], {
      env: childEnvironment({
        ...env,
        FRAMEWATCH_PORT: String(port),
        FRAMEWATCH_DATA_DIR: dataDir,
        FRAMEWATCH_JWT_SECRET: jwtSecret,
        FRAMEWATCH_LEASE_SEC: '2',
        FRAMEWATCH_LOG_LEVEL: 'warn',
      }),
      stdio: 'ignore',
    });
    return child;
  };
  try {
    const token = await issueToken({ secret: jwtSecret, issuer: 'framewatch', audience: 'framewatch-api', subject: 'test', ttlSec: 600 });
    const api = apiClient(url, token);
    const first = start();
    await waitHealthy(`${url}/healthz`, 20_000);
    const submitted = await api.upload(readFileSync(file));
    if (submitted.status !== 202) throw new Error(`submission failed: HTTP ${submitted.status}`);
    const id = submitted.body.id;
    const deadline = Date.now() + 20_000;
    while ((await api.job(id)).status !== 'running') {
      if (Date.now() > deadline) throw new Error('the job never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Mid-analysis, without warning.
    await new Promise((r) => setTimeout(r, 500));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    start();
    await waitHealthy(`${url}/healthz`, 20_000);
    const job = await api.waitTerminal(id, 90_000);
    const report = await api.report(id);
    const events = await api.events(id);
    return { job, report, statuses: events.filter((e) => e.type === 'status').map((e) => e.data['status']) };
  } finally {
    (child as ChildProcess | null)?.kill('SIGKILL');
  }
}
