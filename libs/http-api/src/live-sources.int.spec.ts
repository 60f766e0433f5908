import { loadConfig } from '@framewatch/config';
import { sourceUrlValidator } from '@framewatch/runtime';
import type { LookupFunction } from '@framewatch/source-rules';
import { startTestApi } from './testing/harness';
import type { TestApi } from './testing/harness';

/**
 * Live UDP and SRT sources submitted through the API, with the deployment's real input rules
 * (`sourceUrlValidator` from the configuration): a `udp://` source would make the worker listen
 * on a port, so it needs the deployment's explicit consent; an SRT caller URL follows the
 * destination rules of http(s).
 */
const lookup: LookupFunction = async (host) => {
  const table: Record<string, string> = { 'sender.example.com': '93.184.216.34', 'inside.example.com': '10.0.0.7' };
  const address = table[host];
  if (address === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

async function submit(api: TestApi, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api.baseUrl}/v1/analyses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await api.auth()) },
    body: JSON.stringify({ source: { url } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('live sources through POST /v1/analyses', () => {
  let api: TestApi | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  const start = async (env: Record<string, string>): Promise<TestApi> => {
    api = await startTestApi({ validateSourceUrl: sourceUrlValidator(loadConfig({ env }), lookup) });
    return api;
  };

  it.each(['udp://@:5004', 'udp://239.1.2.3:5004', 'udp://127.0.0.1:5004'])('refuses %s with 400 SOURCE_REJECTED by default, before any job exists', async (url) => {
    const served = await start({});
    const { status, body } = await submit(served, url);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'SOURCE_REJECTED' });
    expect(served.jobs.createCalls).toBe(0);
  });

  it('queues a udp:// source where the deployment allows it (FRAMEWATCH_ALLOW_UDP_SOURCES=true)', async () => {
    const served = await start({ FRAMEWATCH_ALLOW_UDP_SOURCES: 'true' });
    const { status, body } = await submit(served, 'udp://@239.1.2.3:5004');
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: 'queued', source: { url: 'udp://@239.1.2.3:5004' } });
    // Still no option the input rules do not know.
    expect((await submit(served, 'udp://@:5004?fifo_size=9')).status).toBe(400);
  });

  it('queues an SRT caller URL to a public host, and refuses a private one unless private sources are allowed', async () => {
    const served = await start({});
    expect((await submit(served, 'srt://sender.example.com:9000?streamid=live/cam1&latency=200000')).status).toBe(202);
    for (const url of ['srt://inside.example.com:9000', 'srt://127.0.0.1:9000']) {
      const { status, body } = await submit(served, url);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'SOURCE_REJECTED' });
    }
    await served.close();
    api = null;
    const internal = await start({ FRAMEWATCH_ALLOW_PRIVATE_SOURCES: 'true' });
    expect((await submit(internal, 'srt://inside.example.com:9000')).status).toBe(202);
  });

  it('refuses SRT listener or rendezvous mode and unknown options, without echoing a secret', async () => {
    const served = await start({ FRAMEWATCH_ALLOW_PRIVATE_SOURCES: 'true' });
    for (const url of [
      'srt://sender.example.com:9000?mode=listener&passphrase=hunter2hunter2',
      'srt://sender.example.com:9000?mode=rendezvous',
      'srt://sender.example.com:9000?streamid=hunter2hunter2&localport=9000',
      'srt://me:hunter2hunter2@sender.example.com:9000',
    ]) {
      const { status, body } = await submit(served, url);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'SOURCE_REJECTED' });
      expect(JSON.stringify(body)).not.toContain('hunter2');
    }
    expect(served.rawLogs()).not.toContain('hunter2');
    expect(served.jobs.createCalls).toBe(0);
  });
});
