import { rmSync } from 'node:fs';
import path from 'node:path';
import { apiClient, scratch, serve, startLiveHls } from '@framewatch/e2e-support';
import type { LiveHls, Served } from '@framewatch/e2e-support';

jest.setTimeout(120_000);

/** A live analysis through the API: it runs until cancelled, streams its defects, keeps its report. */
describe.each(['monolith', 'services'])('a live HLS job in topology %s', (topology) => {
  let served: Served;
  let source: LiveHls;

  beforeAll(async () => {
    const dataDir = path.join(scratch, `data-live-${topology}`);
    rmSync(dataDir, { recursive: true, force: true });
    served = await serve(topology, dataDir);
    // Black from 4 s to 6.5 s of the encoder's time.
    source = await startLiveHls(path.join(scratch, `live-${topology}`));
  });

  afterAll(async () => {
    await source?.close();
    await served?.stop();
  });

  it('streams the black defect over SSE while running, then stops on DELETE with the report of what it saw', async () => {
    const api = apiClient(served.url, served.token);
    const submitted = await api.submitUrl(source.url);
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    // The SSE stream ends when the job does; follow it while the job runs.
    const events = api.follow(id);
    const isClosedBlack = (e: { type: string; data: Record<string, unknown> }): boolean => e.type === 'defect.closed' && e.data['type'] === 'black';
    expect(await events.until(isClosedBlack, 60_000)).toBe(true);
    // The job never ends by itself: after the black segment it is still running, and its report
    // so far (the checkpoint the converter's worker stores, through the aggregator's snapshot)
    // already holds the closed black event.
    expect((await api.job(id)).status).toBe('running');
    let checkpoint: { status?: string; defects?: { type: string }[] } = {};
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const res = await fetch(`${served.url}/v1/analyses/${id}/report`, { headers: { authorization: `Bearer ${served.token}` } });
      checkpoint = res.status === 200 ? ((await res.json()) as typeof checkpoint) : {};
      if (checkpoint.defects?.some((d) => d.type === 'black')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(checkpoint).toMatchObject({ status: 'running', defects: [expect.objectContaining({ type: 'black' })] });

    const cancel = await fetch(`${served.url}/v1/analyses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${served.token}` } });
    expect(cancel.status).toBeLessThan(300);
    expect((await api.waitTerminal(id, 30_000)).status).toBe('cancelled');

    await events.done;
    const seen = events.seen;
    const closedBlack = seen.findIndex(isClosedBlack);
    const cancelled = seen.findIndex((e) => e.type === 'status' && e.data['status'] === 'cancelled');
    expect(closedBlack).toBeGreaterThanOrEqual(0);
    expect(closedBlack).toBeLessThan(cancelled);

    const report = await api.report(id);
    expect(report).toMatchObject({ id, status: 'cancelled', media: { durationSec: null } });
    const black = report.defects.find((d) => d.type === 'black');
    expect((black?.endSec ?? 0) - (black?.startSec ?? 0)).toBeCloseTo(2.5, 0);
  });
});
