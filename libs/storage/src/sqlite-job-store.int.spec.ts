/**
 * R1 and R3 across real processes: child Node processes open their own SQLite JobStore on one
 * shared file, as the API, the workers and the aggregator do in the `services` topology. The
 * adapter is bundled once with esbuild so that the children run the very code under test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { JobRecord } from './job-store';
import { createSqliteJobStore } from './sqlite-job-store';

const CHILD_SOURCE = `
import { existsSync, writeFileSync } from 'node:fs';
import { createSqliteJobStore } from './sqlite-job-store';

async function main(): Promise<void> {
  const [file, mode, name, storesArg, goFile] = process.argv.slice(2);
  const stores = Array.from({ length: Number(storesArg) }, () => createSqliteJobStore({ file }));
  // Everyone starts when the test says go, after every process is ready (a fixed wall-clock
  // instant was missed by a process slow to start on a busy host), so claims really overlap.
  if (goFile !== '-') {
    writeFileSync(goFile + '.' + name + '.ready', '');
    while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 1));
  }
  if (mode === 'once') {
    const got = await Promise.all(stores.map((s, i) => s.claim(name + '-' + i, 30)));
    process.stdout.write(JSON.stringify(got.map((r) => r?.id ?? null)));
  } else if (mode === 'drain') {
    const mine = await Promise.all(stores.map(async (s, i) => {
      const ids: string[] = [];
      for (let job = await s.claim(name + '-' + i, 30); job !== null; job = await s.claim(name + '-' + i, 30)) {
        await new Promise((r) => setTimeout(r, 5)); // the "work": other processes claim meanwhile
        await s.appendEvent(job.id, 'progress', { by: name + '-' + i });
        await s.complete(job.id, name + '-' + i, { status: 'succeeded' });
        ids.push(job.id);
      }
      return ids;
    }));
    process.stdout.write(JSON.stringify(mine.flat()));
  } else if (mode === 'hold') {
    const job = await stores[0].claim(name, 3);
    process.stdout.write(JSON.stringify(job?.id ?? null) + '\\n');
    await new Promise(() => undefined); // crashes later by SIGKILL, lease held
  }
  await Promise.all(stores.map((s) => s.close()));
}

main().catch((err) => {
  process.stderr.write(String(err?.code ?? '') + ' ' + String(err?.stack ?? err));
  process.exit(1);
});
`;

let dir = '';
let bundle = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'framewatch-jobs-int-'));
  bundle = join(dir, 'child.cjs');
  const nativeEntry = require.resolve('better-sqlite3');
  await build({
    stdin: { contents: CHILD_SOURCE, resolveDir: __dirname, loader: 'ts', sourcefile: 'child.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    tsconfig: join(__dirname, '..', 'tsconfig.json'),
    // The native addon stays outside the bundle, loaded from this checkout's node_modules.
    plugins: [{ name: 'native', setup: (b) => b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: nativeEntry, external: true })) }],
  });
}, 60_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startChild(args: string[]): { child: ChildProcess; output: Promise<string>; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let onLine: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (onLine = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (stdout.includes('\n')) onLine(stdout.split('\n')[0]);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const output = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited with ${code ?? signal}: ${stderr}`))));
  });
  return { child, output, firstLine };
}

/** Starts one child per name and says go once every one of them is ready (see CHILD_SOURCE). */
async function startTogether(names: string[], argsOf: (name: string, goFile: string) => string[]): Promise<ReturnType<typeof startChild>[]> {
  const go = join(dir, `go-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const runs = names.map((name) => startChild(argsOf(name, go)));
  const deadline = Date.now() + 20_000;
  while (!names.every((name) => existsSync(`${go}.${name}.ready`))) {
    if (Date.now() > deadline) throw new Error('children not ready within 20 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  await writeFile(go, '');
  return runs;
}

async function seed(file: string, count: number): Promise<string[]> {
  const store = createSqliteJobStore({ file });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await store.create({ source: { url: `https://media.example/${i}.mp4` } })).id);
  await store.close();
  return ids;
}

async function readAll(file: string): Promise<JobRecord[]> {
  const store = createSqliteJobStore({ file });
  const records: JobRecord[] = [];
  for await (const record of store.list()) records.push(record);
  await store.close();
  return records;
}

describe('SQLite JobStore across processes', () => {
  it('R1: 21 claimers in 3 processes race for one job: exactly one wins', async () => {
    const file = join(dir, 'r1-one', 'jobs.sqlite');
    const [id] = await seed(file, 1);
    const runs = await startTogether(['p1', 'p2', 'p3'], (name, go) => [file, 'once', name, '7', go]);
    const results = (await Promise.all(runs.map((r) => r.output))).flatMap((out) => JSON.parse(out) as (string | null)[]);
    expect(results).toHaveLength(21);
    expect(results.filter((r) => r !== null)).toEqual([id]);
    const [record] = await readAll(file);
    expect(record).toMatchObject({ status: 'running', attempts: 1, version: 2, lease: { owner: expect.stringMatching(/^p[123]-\d$/) } });
  }, 30_000);

  it('R1: 3 processes with 4 stores each drain 60 jobs, each job run and finished exactly once', async () => {
    const file = join(dir, 'r1-drain', 'jobs.sqlite');
    const ids = await seed(file, 60);
    const runs = await startTogether(['p1', 'p2', 'p3'], (name, go) => [file, 'drain', name, '4', go]);
    const perProcess = await Promise.all(runs.map(async (r) => JSON.parse(await r.output) as string[]));
    const all = perProcess.flat();
    expect([...all].sort()).toEqual([...ids].sort());
    // More than one process did work, so the claims really competed.
    expect(perProcess.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    const records = await readAll(file);
    expect(records.every((r) => r.status === 'succeeded' && r.attempts === 1 && r.version === 3 && r.lease === null)).toBe(true);
    const store = createSqliteJobStore({ file });
    for (const id of ids) expect((await store.listEvents(id, 0)).map((e) => e.seq)).toEqual([1]);
    await store.close();
  }, 30_000);

  it('R3: a worker SIGKILLed while holding a lease: the job is reclaimed after expiry and ends in exactly one terminal state', async () => {
    const file = join(dir, 'r3', 'jobs.sqlite');
    const [id] = await seed(file, 1);
    const holder = startChild([file, 'hold', 'doomed', '1', '-']);
    expect(JSON.parse(await holder.firstLine)).toBe(id);
    holder.child.kill('SIGKILL');
    await expect(holder.output).rejects.toThrow(/SIGKILL/);

    const store = createSqliteJobStore({ file });
    expect(await store.get(id)).toMatchObject({ status: 'running', lease: { owner: 'doomed' } });
    const expiresAt = Date.parse((await store.get(id))?.lease?.expiresAt ?? '');
    await expect(store.claim('rescuer', 30)).resolves.toBeNull(); // the 3 s lease has not run out yet
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
    const reclaimed = await store.claim('rescuer', 30);
    expect(reclaimed).toMatchObject({ id, attempts: 2, lease: { owner: 'rescuer' } });
    await store.complete(id, 'rescuer', { status: 'succeeded' });
    await expect(store.complete(id, 'doomed', { status: 'failed', error: { code: 'X', message: 'late' } })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await store.get(id)).toMatchObject({ status: 'succeeded', attempts: 2, lease: null });
    await store.close();
  }, 30_000);
});
