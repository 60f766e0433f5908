import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FramewatchError } from '@framewatch/errors';
import { createSqliteJobStore } from './sqlite-job-store';
import { describeJobStoreConformance } from './testing';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'framewatch-jobs-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Stores of one namespace share one file: several processes' view of one data dir.
describeJobStoreConformance('sqlite', ({ now, namespace }) => createSqliteJobStore({ file: join(root, namespace, 'jobs.sqlite'), now }));

// A small page size makes `list` cross page boundaries in every paging test.
describeJobStoreConformance('sqlite, 7-row pages', ({ now, namespace }) => createSqliteJobStore({ file: join(root, `${namespace}-p`, 'jobs.sqlite'), now, pageSize: 7 }));

describe('SQLite JobStore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(root, 'case-'));
  });

  it('creates the data dir and opens the file in WAL mode with a busy timeout', async () => {
    const file = join(dir, 'nested', 'data', 'jobs.sqlite');
    const store = createSqliteJobStore({ file, busyTimeoutMs: 1234 });
    await store.create({ source: { url: 'https://media.example/a.mp4' } });
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(1);
    } finally {
      raw.close();
    }
    expect(await readdir(join(dir, 'nested', 'data'))).toEqual(expect.arrayContaining(['jobs.sqlite', 'jobs.sqlite-wal']));
    await store.close();
  });

  it('keeps jobs and events across a reopen of the file', async () => {
    const file = join(dir, 'jobs.sqlite');
    const first = createSqliteJobStore({ file });
    const job = await first.create({ source: { url: 'https://media.example/a.mp4' }, idempotencyKey: 'k' });
    await first.appendEvent(job.id, 'status', { status: 'queued' });
    await first.close();
    const second = createSqliteJobStore({ file });
    await expect(second.get(job.id)).resolves.toEqual(job);
    await expect(second.create({ source: { url: 'https://media.example/a.mp4' }, idempotencyKey: 'k' })).resolves.toEqual(job);
    await expect(second.appendEvent(job.id, 'progress', {})).resolves.toBe(2);
    await second.close();
  });

  it('reports a write lock held too long by another process as UNAVAILABLE, then recovers', async () => {
    const file = join(dir, 'jobs.sqlite');
    const store = createSqliteJobStore({ file, busyTimeoutMs: 50 });
    await store.create({ source: { url: 'https://media.example/a.mp4' } });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await store.claim('w1', 30).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(FramewatchError);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot claim a job: SQLITE_BUSY' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.claim('w1', 30)).resolves.toMatchObject({ status: 'running', attempts: 1 });
    await store.close();
  });

  it('fails every call on a closed store with UNAVAILABLE; closing twice is harmless', async () => {
    const store = createSqliteJobStore({ file: join(dir, 'jobs.sqlite') });
    await store.close();
    await store.close();
    expect(await store.countActive().catch((err: unknown) => err)).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot count jobs: the job store is closed' });
    await expect(store.claim('w1', 30)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(store.list().next()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('reports a data dir it cannot create as UNAVAILABLE without leaking the path', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    let error: unknown;
    try {
      createSqliteJobStore({ file: join(blocker, 'data', 'jobs.sqlite') });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot open the job store: ENOTDIR' });
  });

  it('refuses a file whose schema is newer than this build', async () => {
    const file = join(dir, 'jobs.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 2');
    raw.close();
    expect(() => createSqliteJobStore({ file })).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining('schema 2 is newer') }));
  });

  it('R4: the schema itself refuses a running row without a lease', async () => {
    const file = join(dir, 'jobs.sqlite');
    const store = createSqliteJobStore({ file });
    const job = await store.create({ source: { url: 'https://media.example/a.mp4' } });
    const raw = new Database(file);
    try {
      expect(() => raw.prepare("UPDATE jobs SET status = 'running' WHERE id = ?").run(job.id)).toThrow(/CHECK constraint failed/);
      await store.claim('w1', 30);
      expect(() => raw.prepare('UPDATE jobs SET lease_expires = NULL WHERE id = ?').run(job.id)).toThrow(/CHECK constraint failed/);
    } finally {
      raw.close();
    }
    await store.close();
  });

  it('orders ids from two processes\' stores by creation time', async () => {
    let t = Date.UTC(2030, 0, 1);
    const now = (): number => t;
    const a = createSqliteJobStore({ file: join(dir, 'jobs.sqlite'), now });
    const b = createSqliteJobStore({ file: join(dir, 'jobs.sqlite'), now });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await (i % 2 === 0 ? a : b).create({ source: { url: `https://media.example/${i}.mp4` } })).id);
      t += 1;
    }
    expect([...ids].sort()).toEqual(ids);
    await a.close();
    await b.close();
  });

  it('rejects bad options as USAGE', () => {
    expect(() => createSqliteJobStore({ file: join(dir, 'jobs.sqlite'), pageSize: 0 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => createSqliteJobStore({ file: join(dir, 'jobs.sqlite'), busyTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
