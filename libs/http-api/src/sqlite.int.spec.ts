import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteJobStore } from '@framewatch/storage';
import type { JobStore } from '@framewatch/storage';
import { startTestApi } from './testing/harness';
import type { TestApi } from './testing/harness';

// The same edge against the real embedded JobStore, so the in-memory test store cannot hide a
// mismatch with the adapter the API ships with.
describe('the API over the SQLite JobStore', () => {
  let dir: string;
  let jobs: JobStore;
  let api: TestApi;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-http-api-sqlite-'));
    jobs = createSqliteJobStore({ file: join(dir, 'jobs.sqlite') });
    api = await startTestApi({ jobs });
  });
  afterAll(async () => {
    await api.close();
    await jobs.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function submit(key: string, url: string): Promise<Response> {
    return fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...(await api.auth()) },
      body: JSON.stringify({ source: { url } }),
    });
  }

  it('queues, replays by idempotency key, refuses a reused key, streams events and cancels', async () => {
    const first = await submit('s-1', 'https://media.example.com/a.mp4');
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    expect(((await (await submit('s-1', 'https://media.example.com/a.mp4')).json()) as { id: string }).id).toBe(id);
    expect((await submit('s-1', 'https://media.example.com/other.mp4')).status).toBe(409);

    await jobs.appendEvent(id, 'progress', { frames: 1 });
    await jobs.appendEvent(id, 'progress', { frames: 2 });
    const cancel = await fetch(`${api.baseUrl}/v1/analyses/${id}`, { method: 'DELETE', headers: await api.auth() });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ id, status: 'cancelled' });

    const events = await (await fetch(`${api.baseUrl}/v1/analyses/${id}/events`, { headers: await api.auth() })).text();
    expect(events.match(/^id: \d+$/gm)).toEqual(expect.arrayContaining(['id: 1', 'id: 2']));
    expect(events).toMatch(/event: end\ndata: \{[^\n]*"status":"cancelled"/);

    const list = (await (await fetch(`${api.baseUrl}/v1/analyses?status=cancelled`, { headers: await api.auth() })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([id]);
  });
});
