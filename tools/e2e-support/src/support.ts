import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import type { AnalysisResult } from '@framewatch/pipeline';

/** The repository root (this file is tools/e2e-support/src/support.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** Scratch space for this suite. */
export const scratch = path.join(repoRoot, 'tmp', 'e2e');

const apps = ['cli', 'api', 'monolith', 'media-converter', 'detector', 'aggregator'];

/** Builds the app bundles this suite runs when `jest` runs without `npm test`'s build step. */
export function ensureBundles(): void {
  for (const app of apps) {
    if (existsSync(path.join(repoRoot, 'dist', 'apps', app, 'main.js'))) continue;
    const built = spawnSync(process.execPath, ['tools/scripts/bundle.mjs', `apps/${app}/src/main.ts`, `dist/apps/${app}`], { cwd: repoRoot, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building ${app} failed: ${built.stderr}`);
  }
  mkdirSync(scratch, { recursive: true });
}

/** A topology started with `framewatch serve`. */
export interface Served {
  child: ChildProcess;
  url: string;
  token: string;
  /** Internal process URLs by name, e.g. `detector-video`. */
  processes: Record<string, string>;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `framewatch serve --topology <t> --port 0` and waits for its URL and token. `env` adds
 * settings (e.g. the local AWS endpoints); inherited `FRAMEWATCH_*` variables are dropped.
 */
export async function serve(topology: string, dataDir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  ensureBundles();
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist/apps/cli/main.js'), 'serve', '--topology', topology, '--port', '0', '--data-dir', dataDir, '--allow-private-sources', '--log-level', 'warn', ...extraArgs],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: childEnvironment(env) },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Token \(12 h\): (\S+)/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /is serving (http:\/\/\S+)/.exec(out)?.[1] as string;
  const token = /Token \(12 h\): (\S+)/.exec(out)?.[1] as string;
  const processes: Record<string, string> = {};
  for (const m of out.matchAll(/^ {2}(\S+)\s+(http:\/\/\S+)$/gm)) processes[m[1] as string] = m[2] as string;
  return {
    child,
    url,
    token,
    processes,
    output: () => out + err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A minimal API client for the tests. */
export function apiClient(url: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return {
    async submitUrl(source: string, detectors?: string[]): Promise<{ status: number; body: { id: string; status: string } }> {
      const res = await fetch(`${url}/v1/analyses`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(detectors ? { source: { url: source }, detectors } : { source: { url: source } }),
      });
      return { status: res.status, body: (await res.json()) as { id: string; status: string } };
    },
    async upload(bytes: Uint8Array, contentType = 'video/mp4'): Promise<{ status: number; body: { id: string; status: string } }> {
      const res = await fetch(`${url}/v1/analyses`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body: bytes });
      return { status: res.status, body: (await res.json()) as { id: string; status: string } };
    },
    async job(id: string): Promise<{ id: string; status: string; attempts: number; error?: unknown }> {
      const res = await fetch(`${url}/v1/analyses/${id}`, { headers: auth });
      return (await res.json()) as { id: string; status: string; attempts: number };
    },
    async waitTerminal(id: string, timeoutMs = 60_000): Promise<{ id: string; status: string; attempts: number; error?: unknown }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await this.job(id);
        if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
        if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async report(id: string): Promise<AnalysisResult> {
      const res = await fetch(`${url}/v1/analyses/${id}/report`, { headers: auth });
      if (res.status !== 200) throw new Error(`report ${id}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as AnalysisResult;
    },
    /**
     * Follows the job's server-sent events as they come: `seen` grows while the stream is open,
     * `until` waits for an event matching `match`, `done` settles when the server ends the stream.
     */
    follow(id: string, timeoutMs = 120_000) {
      const seen: { type: string; data: Record<string, unknown> }[] = [];
      const done = (async () => {
        const res = await fetch(`${url}/v1/analyses/${id}/events`, { headers: { ...auth, accept: 'text/event-stream' }, signal: AbortSignal.timeout(timeoutMs) });
        if (res.status !== 200 || !res.body) throw new Error(`events ${id}: HTTP ${res.status}`);
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) seen.push({ type, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      })();
      done.catch(() => undefined);
      return {
        seen,
        done,
        async until(match: (e: { type: string; data: Record<string, unknown> }) => boolean, waitMs: number): Promise<boolean> {
          const deadline = Date.now() + waitMs;
          while (!seen.some(match)) {
            if (Date.now() > deadline) return false;
            await new Promise((r) => setTimeout(r, 100));
          }
          return true;
        },
      };
    },
    /** Reads the job's server-sent events until the server ends the stream. */
    async events(id: string, timeoutMs = 60_000): Promise<{ type: string; data: Record<string, unknown> }[]> {
      const res = await fetch(`${url}/v1/analyses/${id}/events`, { headers: { ...auth, accept: 'text/event-stream' }, signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200 || !res.body) throw new Error(`events ${id}: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      return text
        .split('\n\n')
        .map((block) => {
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          return type && data ? { type, data: JSON.parse(data) as Record<string, unknown> } : null;
        })
        .filter((e): e is { type: string; data: Record<string, unknown> } => e !== null);
    },
  };
}

/** Runs `framewatch analyze --json` on a file: the reference every topology must match. */
export function analyzeLocally(file: string, extraArgs: string[] = []): AnalysisResult {
  ensureBundles();
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'dist/apps/cli/main.js'), 'analyze', file, '--json', '--out', path.join(scratch, 'reference'), ...extraArgs], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`analyze failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as AnalysisResult;
}
