import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateFixture } from '@framewatch/fixtures';
import type { AnalysisResult, DefectEvent } from '@framewatch/pipeline';
import { analyzeLocally, apiClient, scratch, serve, startMediaServer } from '@framewatch/e2e-support';
import type { MediaServer, Served } from '@framewatch/e2e-support';

jest.setTimeout(240_000);

const fixturesDir = path.join(scratch, 'fixtures');
const clips = ['demo', 'black', 'silence'] as const;
const reference = new Map<string, AnalysisResult>();
let media: MediaServer;

/** The comparable part of a defect list (ids and timings of the run differ). */
function defectsOf(result: AnalysisResult): Omit<DefectEvent, 'detail'>[] {
  return result.defects.map(({ type, startSec, endSec, confidence }) => ({ type, startSec, endSec, confidence }));
}

beforeAll(async () => {
  for (const clip of clips) {
    const fixture = await generateFixture(clip, fixturesDir);
    reference.set(clip, analyzeLocally(fixture.mediaPath));
  }
  // Clips served over HTTP on loopback, for URL submissions.
  media = await startMediaServer(fixturesDir);
});

afterAll(async () => {
  await media.close();
});

describe.each(['monolith', 'services', 'services-s3'])('topology %s', (topology) => {
  let served: Served;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    const dataDir = path.join(scratch, `data-${topology}`);
    rmSync(dataDir, { recursive: true, force: true });
    served = await serve(topology, dataDir);
    api = apiClient(served.url, served.token);
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('reports the same defects as `framewatch analyze` for uploaded and URL sources', async () => {
    for (const clip of clips) {
      const upload = await api.upload(readFileSync(path.join(fixturesDir, `${clip}.mp4`)));
      expect(upload.status).toBe(202);
      const byUrl = await api.submitUrl(`${media.url}/${clip}.mp4`);
      expect(byUrl.status).toBe(202);
      for (const id of [upload.body.id, byUrl.body.id]) {
        const job = await api.waitTerminal(id);
        expect(job.status).toBe('succeeded');
        const report = await api.report(id);
        expect(report).toMatchObject({ schemaVersion: 1, id, status: 'succeeded' });
        expect(defectsOf(report)).toEqual(defectsOf(reference.get(clip) as AnalysisResult));
        expect(report.stats.videoFrames).toBe(reference.get(clip)?.stats.videoFrames);
      }
    }
  });

  it('streams defect opened/closed events live over SSE, ending with the terminal status', async () => {
    const submitted = await api.submitUrl(`${media.url}/demo.mp4`);
    const events = await api.events(submitted.body.id);
    const closed = events.filter((e) => e.type === 'defect.closed').map((e) => [e.data['type'], e.data['startSec'], e.data['endSec']]);
    const expected = (reference.get('demo') as AnalysisResult).defects.map((d) => [d.type, d.startSec, d.endSec]);
    expect(closed.sort()).toEqual(expected.sort());
    expect(events.filter((e) => e.type === 'defect.opened')).toHaveLength(expected.length);
    expect(events.filter((e) => e.type === 'status').at(-1)).toMatchObject({ data: { status: 'succeeded' } });
    expect(events.at(-1)).toMatchObject({ type: 'end', data: { status: 'succeeded' } });
    // Every defect event came before the job ended.
    const lastDefect = events.map((e) => e.type).lastIndexOf('defect.closed');
    expect(lastDefect).toBeLessThan(events.findIndex((e) => e.type === 'status' && e.data['status'] === 'succeeded'));
  });

  it('rejects unauthenticated API calls', async () => {
    const res = await fetch(`${served.url}/v1/analyses`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const health = await fetch(`${served.url}/healthz`);
    expect(health.status).toBe(200);
  });

  if (topology !== 'monolith') {
    it('rejects unsigned service-to-service calls', async () => {
      const detectorUrl = served.processes['detector-video'];
      const aggregatorUrl = served.processes['aggregator'];
      expect(detectorUrl).toBeDefined();
      for (const [base, call] of [
        [detectorUrl, 'rpc/detector/describe'],
        [aggregatorUrl, 'rpc/aggregator/finish'],
      ]) {
        const res = await fetch(`${base}/${call}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["an-x"]' });
        expect(res.status).toBe(401);
      }
    });
  }
});
