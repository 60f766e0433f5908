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

/** What the live scenario saw, for the test to judge. */
export interface LiveKillRestartOutcome {
  job: { status: string; attempts: number };
  /** The report served while the first attempt ran (its checkpoint), just before the kill. */
  checkpoint: AnalysisResult;
  /** The report once the job was cancelled. */
  report: AnalysisResult;
  /** Every job event, in order, across both attempts. */
  events: { type: string; data: Record<string, unknown> }[];
}

/** A monolith that a test can SIGKILL and start again on the same port and data dir. */
export type RestartableMonolith = Awaited<ReturnType<typeof restartableMonolith>>;

/**
 * The monolith app as a child process on a fixed port and data dir, with a 2 s lease so that a
 * job of a killed process is resumed quickly after a restart. `env` adds settings (stores,
 * endpoints); the data dir is emptied first.
 */
export async function restartableMonolith(dataDir: string, env: Record<string, string>) {
  ensureBundles();
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freePort();
  const jwtSecret = randomBytes(32).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  const token = await issueToken({ secret: jwtSecret, issuer: 'framewatch', audience: 'framewatch-api', subject: 'test', ttlSec: 600 });
  let child: ChildProcess | null = null;
  return {
    url,
    token,
    api: apiClient(url, token),
    /** Starts the process and waits until it is healthy. */
    async start(): Promise<void> {
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
      await waitHealthy(`${url}/healthz`, 20_000);
    },
    /** SIGKILL, without warning, and waits for the exit. */
    async kill(): Promise<void> {
      const current = child;
      if (!current || current.exitCode !== null) return;
      current.kill('SIGKILL');
      await new Promise((r) => current.once('exit', r));
    },
  };
}

/**
 * RELIABILITY R3 on the monolith: submit `file`, SIGKILL the process once the job is running,
 * start it again, and wait for the job to end. `env` selects the stores (local by default, or
 * the local AWS endpoints); the lease is 2 s so the resumed attempt starts quickly.
 */
export async function killAndResume(file: string, dataDir: string, env: Record<string, string> = {}): Promise<KillRestartOutcome> {
  const monolith = await restartableMonolith(dataDir, env);
  try {
    const { api } = monolith;
    await monolith.start();
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
    await monolith.kill();

    await monolith.start();
    const job = await api.waitTerminal(id, 90_000);
    const report = await api.report(id);
    const events = await api.events(id);
    return { job, report, statuses: events.filter((e) => e.type === 'status').map((e) => e.data['status']) };
  } finally {
    // Waits for the exit: a process still polling would reach the stores the caller stops next.
    await monolith.kill();
  }
}

/**
 * Issue 6's live resume on the monolith: submit the live playlist `url`, wait until the job's
 * served report (its checkpoint) holds an open event of `type`, SIGKILL the process, start it
 * again, let the resumed attempt run until its events include a closed `thenType` event, then
 * cancel the job and collect what it reported.
 */
export async function killLiveAndResume(
  url: string,
  dataDir: string,
  waitFor: { type: string; thenType: string },
  env: Record<string, string> = {},
): Promise<LiveKillRestartOutcome> {
  const monolith = await restartableMonolith(dataDir, { FRAMEWATCH_ALLOW_PRIVATE_SOURCES: 'true', ...env });
  try {
    const { api } = monolith;
    await monolith.start();
    const submitted = await api.submitUrl(url);
    if (submitted.status !== 202) throw new Error(`submission failed: HTTP ${submitted.status}`);
    const id = submitted.body.id;
    // The report the API serves now (a running job's checkpoint), or null while it has none.
    const served = async (): Promise<AnalysisResult | null> => {
      const res = await fetch(`${monolith.url}/v1/analyses/${id}/report`, { headers: { authorization: `Bearer ${monolith.token}` } });
      return res.status === 200 ? ((await res.json()) as AnalysisResult) : null;
    };
    const checkpoint = await poll(60_000, `no checkpoint with an open ${waitFor.type} event`, async () => {
      const body = await served();
      return body?.checkpoint?.open.some((e) => e.type === waitFor.type) ? body : null;
    });
    await monolith.kill();

    await monolith.start();
    await poll(60_000, `no closed ${waitFor.thenType} event after the restart`, async () => {
      const body = await served();
      return (body?.stats.resumes ?? 0) > 0 && body?.defects.some((e) => e.type === waitFor.thenType) ? body : null;
    });
    const cancel = await fetch(`${monolith.url}/v1/analyses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${monolith.token}` } });
    if (cancel.status !== 202) throw new Error(`cancel failed: HTTP ${cancel.status}`);
    const job = await api.waitTerminal(id, 30_000);
    return { job, checkpoint, report: await api.report(id), events: await api.events(id) };
  } finally {
    // Waits for the exit: a process still polling would reach the stores the caller stops next.
    await monolith.kill();
  }
}

async function poll<T>(timeoutMs: number, failure: string, attempt: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 100));
  }
}
