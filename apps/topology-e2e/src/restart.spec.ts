import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { issueToken } from '@framewatch/auth';
import { childEnvironment } from '@framewatch/config';
import { generateFixture } from '@framewatch/fixtures';
import { freePort, waitHealthy } from '@framewatch/runtime';
import { analyzeLocally, apiClient, ensureBundles, repoRoot, scratch } from './support';

jest.setTimeout(240_000);

// RELIABILITY R3 on the monolith: SIGKILL mid-analysis, start again, the job completes once.
describe('monolith killed with SIGKILL mid-analysis', () => {
  const dataDir = path.join(scratch, 'data-restart');
  const jwtSecret = randomBytes(32).toString('base64url');
  let port: number;
  let child: ChildProcess | null = null;

  function start(): ChildProcess {
    const proc = spawn(process.execPath, [path.join(repoRoot, 'dist/apps/monolith/main.js')], {
      env: childEnvironment({
        FRAMEWATCH_PORT: String(port),
        FRAMEWATCH_DATA_DIR: dataDir,
        FRAMEWATCH_JWT_SECRET: jwtSecret,
        FRAMEWATCH_LEASE_SEC: '2',
        FRAMEWATCH_LOG_LEVEL: 'warn',
      }),
      stdio: 'ignore',
    });
    child = proc;
    return proc;
  }

  beforeAll(async () => {
    ensureBundles();
    rmSync(dataDir, { recursive: true, force: true });
    port = await freePort();
  });

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('resumes the job after its lease expires and completes it exactly once', async () => {
    const fixture = await generateFixture('bench-720p', path.join(scratch, 'fixtures'));
    const expected = analyzeLocally(fixture.mediaPath);
    const token = await issueToken({ secret: jwtSecret, issuer: 'framewatch', audience: 'framewatch-api', subject: 'test', ttlSec: 600 });
    const url = `http://127.0.0.1:${port}`;
    const api = apiClient(url, token);

    const first = start();
    await waitHealthy(`${url}/healthz`, 20_000);
    const submitted = await api.upload(readFileSync(fixture.mediaPath));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    // Wait until the analysis is under way, then kill the process without warning.
    const deadline = Date.now() + 20_000;
    while ((await api.job(id)).status !== 'running') {
      if (Date.now() > deadline) throw new Error('the job never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    start();
    await waitHealthy(`${url}/healthz`, 20_000);
    const job = await api.waitTerminal(id, 90_000);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(2);
    const report = await api.report(id);
    expect(report.defects).toEqual(expected.defects);
    expect(report.stats.videoFrames).toBe(expected.stats.videoFrames);
    const events = await api.events(id);
    const statuses = events.filter((e) => e.type === 'status').map((e) => e.data['status']);
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'failed' || s === 'cancelled')).toHaveLength(0);
    expect(statuses.filter((s) => s === 'running')).toHaveLength(2);
  });
});
