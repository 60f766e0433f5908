import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FramewatchError } from '@framewatch/errors';
import { createLocalResultStore } from './local-result-store';
import type { ResultStore } from './result-store';
import { describeResultStoreConformance, sampleResult } from './testing';

const dirs: string[] = [];
const dirOf = new WeakMap<ResultStore, string>();

async function freshStore(): Promise<{ store: ResultStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'framewatch-results-'));
  dirs.push(dir);
  const store = createLocalResultStore({ dir });
  dirOf.set(store, dir);
  return { store, dir };
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeResultStoreConformance('local files', async () => (await freshStore()).store, {
  async corrupt(store, id) {
    await writeFile(join(dirOf.get(store) as string, 'results', id, 'report.json'), '{"schemaVersion": 1, "id": "an-b');
  },
  async readArtifact(_store, locator) {
    return readFile(locator);
  },
});

describe('local ResultStore', () => {
  it('writes <dir>/results/<id>/report.json as readable JSON', async () => {
    const { store, dir } = await freshStore();
    await store.put(sampleResult('an-42'));
    const text = await readFile(join(dir, 'results', 'an-42', 'report.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ schemaVersion: 1, id: 'an-42', status: 'succeeded' });
  });

  it('does not touch the file when a put is retried with the same content', async () => {
    const { store, dir } = await freshStore();
    const file = join(dir, 'results', 'an-1', 'report.json');
    await store.put(sampleResult('an-1'));
    const before = await stat(file);
    await new Promise((r) => setTimeout(r, 20));
    await store.put(sampleResult('an-1'));
    const after = await stat(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('leaves no temporary files behind after racing writers', async () => {
    const { store, dir } = await freshStore();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(sampleResult('an-1', { source: `writer-${i}.mp4` }))));
    expect(await readdir(join(dir, 'results', 'an-1'))).toEqual(['report.json']);
  });

  it('ignores the leftovers of a write that crashed before its rename', async () => {
    const { store, dir } = await freshStore();
    const result = sampleResult('an-1');
    await store.put(result);
    await writeFile(join(dir, 'results', 'an-1', '.report.json.999.crashed.tmp'), '{"schemaVersion": 1, "id": "an-1", "sta');
    await mkdir(join(dir, 'results', '.tmp-dir'));
    await expect(store.get('an-1')).resolves.toEqual(result);
    const listed = [];
    for await (const r of store.list()) listed.push(r.id);
    expect(listed).toEqual(['an-1']);
  });

  it('reports a torn report.json as INTERNAL naming the id, from get and from list', async () => {
    const { store, dir } = await freshStore();
    await mkdir(join(dir, 'results', 'an-torn'), { recursive: true });
    await writeFile(join(dir, 'results', 'an-torn', 'report.json'), '{"schemaVersion": 1, "id": "an-to');
    await expect(store.get('an-torn')).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('stored result an-torn is corrupt') });
    await expect((async () => {
      for await (const _ of store.list()) void _;
    })()).rejects.toMatchObject({ code: 'INTERNAL', detail: { id: 'an-torn' } });
  });

  it('reports a report that belongs to another id as corrupt', async () => {
    const { store, dir } = await freshStore();
    await mkdir(join(dir, 'results', 'an-a'), { recursive: true });
    await writeFile(join(dir, 'results', 'an-a', 'report.json'), JSON.stringify(sampleResult('an-b')));
    await expect(store.get('an-a')).rejects.toMatchObject({ code: 'INTERNAL', message: 'stored result an-a is corrupt: it holds the result of "an-b"' });
  });

  it('creates nothing outside the data dir for a path-traversal id', async () => {
    const { store, dir } = await freshStore();
    const outside = join(dir, '..', `escape-${Date.now()}`);
    await expect(store.put(sampleResult(`../../${outside.split('/').pop() ?? ''}`))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(store.putArtifact('an-1', '../../escape.html', '<p>', 'text/html')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(stat(outside)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('returns the artifact\'s absolute path as its locator', async () => {
    const { store, dir } = await freshStore();
    const locator = await store.putArtifact('an-1', 'report.html', '<h1>ok</h1>', 'text/html');
    expect(locator).toBe(join(dir, 'results', 'an-1', 'report.html'));
    await expect(readFile(locator, 'utf8')).resolves.toBe('<h1>ok</h1>');
  });

  it('reports storage it cannot write as UNAVAILABLE without leaking the path', async () => {
    const { dir } = await freshStore();
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const store = createLocalResultStore({ dir: blocker });
    const error = await store.put(sampleResult('an-1')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FramewatchError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot write report.json of result an-1: ENOTDIR', detail: { id: 'an-1' } });
  });

  it('lists nothing when the data dir does not exist yet', async () => {
    const { dir } = await freshStore();
    const store = createLocalResultStore({ dir: join(dir, 'never-created') });
    const listed = [];
    for await (const r of store.list()) listed.push(r);
    expect(listed).toEqual([]);
    await expect(store.get('an-1')).resolves.toBeNull();
  });
});
