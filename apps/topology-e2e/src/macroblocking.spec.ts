import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateCorruptedPair } from '@framewatch/fixtures';
import type { CorruptedPair } from '@framewatch/fixtures';
import type { AnalysisResult, DefectEvent } from '@framewatch/pipeline';
import { analyzeLocally, apiClient, scratch, serve } from '@framewatch/e2e-support';
import type { Served } from '@framewatch/e2e-support';

jest.setTimeout(240_000);

const selection = 'black,freeze,silence,clipping,macroblocking';
let pair: CorruptedPair;
let reference: AnalysisResult;

function defectsOf(result: AnalysisResult): Omit<DefectEvent, 'detail'>[] {
  return result.defects.map(({ type, startSec, endSec, confidence }) => ({ type, startSec, endSec, confidence }));
}

beforeAll(async () => {
  pair = await generateCorruptedPair(path.join(scratch, 'fixtures'));
  reference = analyzeLocally(pair.corrupted, ['--detectors', selection]);
});

describe.each(['monolith', 'services', 'services-s3'])('the learned macroblocking detector in topology %s', (topology) => {
  let served: Served;

  beforeAll(async () => {
    const dataDir = path.join(scratch, `data-mb-${topology}`);
    rmSync(dataDir, { recursive: true, force: true });
    served = await serve(topology, dataDir, [], { FRAMEWATCH_DETECTORS: selection });
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('runs (a detector-blocks process in the split topologies) and reports what `framewatch analyze` reports', async () => {
    if (topology !== 'monolith') expect(Object.keys(served.processes)).toContain('detector-blocks');
    expect(reference.defects.map((d) => d.type)).toEqual(['macroblocking']);
    const api = apiClient(served.url, served.token);
    const upload = await api.upload(readFileSync(pair.corrupted));
    expect(upload.status).toBe(202);
    const job = await api.waitTerminal(upload.body.id);
    expect(job.status).toBe('succeeded');
    expect(defectsOf(await api.report(upload.body.id))).toEqual(defectsOf(reference));
  });
});
