import type { JobStore } from '@framewatch/storage';
import { startTestApi } from './testing/harness';
import type { TestApi } from './testing/harness';
import { createMemoryJobStore } from './testing/memory-job-store';

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response frame by frame. */
async function* readSse(res: Response): AsyncGenerator<SseMessage> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const val = line.slice(colon + 1).trimStart();
          if (field === 'id' || field === 'event' || field === 'data') message[field] = val;
        }
      }
      yield message;
    }
  }
}

describe('GET /v1/analyses/{id}/events', () => {
  let api: TestApi;
  let listEventsCalls = 0;
  beforeEach(async () => {
    const jobs = createMemoryJobStore();
    const counting: JobStore = Object.assign(Object.create(jobs) as JobStore, {
      listEvents: (id: string, after: number, limit?: number) => {
        listEventsCalls += 1;
        return jobs.listEvents(id, after, limit);
      },
    });
    listEventsCalls = 0;
    api = await startTestApi({ jobs: counting, eventsPollMs: 20, eventsHeartbeatMs: 50 });
    // The harness exposes the store it was given.
    api.jobs = jobs;
  });
  afterEach(() => api.close());

  async function open(id: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(`${api.baseUrl}/v1/analyses/${id}/events`, { headers: { ...(await api.auth()), ...headers }, signal });
  }

  it('delivers events appended while the client is connected, in order, and ends after the terminal status', async () => {
    const job = await api.jobs.create({ source: { url: 'https://media.example.com/a.mp4' } });
    await api.jobs.appendEvent(job.id, 'status', { status: 'queued' });
    const res = await open(job.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const received: SseMessage[] = [];
    const producer = (async () => {
      await new Promise((r) => setTimeout(r, 60));
      api.jobs.setStatus(job.id, 'running');
      await api.jobs.appendEvent(job.id, 'status', { status: 'running' });
      for (let i = 1; i <= 5; i += 1) {
        await api.jobs.appendEvent(job.id, 'progress', { frames: i * 25 });
        await new Promise((r) => setTimeout(r, 15));
      }
      await api.jobs.appendEvent(job.id, 'defect.opened', { type: 'black', startSec: 1 });
      await api.jobs.appendEvent(job.id, 'status', { status: 'succeeded' });
      api.jobs.setStatus(job.id, 'succeeded');
    })();
    for await (const message of readSse(res)) if (message.comment === undefined && message.data !== undefined) received.push(message);
    await producer;
    const events = received.filter((m) => m.id !== undefined);
    expect(events.map((m) => Number(m.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.map((m) => m.event)).toEqual(['status', 'status', 'progress', 'progress', 'progress', 'progress', 'progress', 'defect.opened', 'status']);
    expect(JSON.parse(events[2].data ?? '{}')).toMatchObject({ seq: 3, frames: 25 });
    expect(received.at(-1)).toMatchObject({ event: 'end' });
    expect(JSON.parse(received.at(-1)?.data ?? '{}')).toMatchObject({ status: 'succeeded', lastSeq: 9 });
  });

  it('resumes after Last-Event-ID', async () => {
    const job = await api.jobs.create({ source: { url: 'https://media.example.com/a.mp4' } });
    for (let i = 1; i <= 4; i += 1) await api.jobs.appendEvent(job.id, 'progress', { frames: i });
    api.jobs.setStatus(job.id, 'failed', { code: 'DECODE_FAILED', message: 'bad frame' });
    const res = await open(job.id, { 'last-event-id': '2' });
    const ids: string[] = [];
    for await (const message of readSse(res)) if (message.id !== undefined) ids.push(message.id);
    expect(ids).toEqual(['3', '4']);
    expect((await open(job.id, { 'last-event-id': 'abc' })).status).toBe(400);
  });

  it('sends heartbeat comments while nothing happens and stops polling when the client leaves', async () => {
    const job = await api.jobs.create({ source: { url: 'https://media.example.com/a.mp4' } });
    const abort = new AbortController();
    const res = await open(job.id, {}, abort.signal);
    let heartbeats = 0;
    try {
      for await (const message of readSse(res)) {
        if (message.comment === 'heartbeat') heartbeats += 1;
        if (heartbeats === 2) break;
      }
    } finally {
      abort.abort();
    }
    expect(heartbeats).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    const callsAfterLeaving = listEventsCalls;
    await new Promise((r) => setTimeout(r, 200));
    expect(listEventsCalls).toBe(callsAfterLeaving);
    expect(callsAfterLeaving).toBeGreaterThan(1);
  });

  it('404s an unknown job before starting a stream', async () => {
    const res = await open('an-nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
