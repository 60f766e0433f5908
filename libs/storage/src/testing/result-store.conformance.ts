/**
 * The one test suite every ResultStore adapter runs (DESIGN.md: "Every port has one conformance
 * test suite that runs against every adapter"). Call it from an adapter's spec file.
 */
import { FramewatchError } from '@framewatch/errors';
import type { AnalysisResult } from '@framewatch/pipeline';
import { type ResultStore, compareResultIds } from '../result-store';

/** Adapter-specific hooks that let the suite check what the port alone cannot express. */
export interface ResultStoreConformanceHooks {
  /** Overwrite the stored report of `id` with bytes that are not a valid report (bypassing the store). */
  corrupt?(store: ResultStore, id: string): Promise<void>;
  /** Read back the bytes of an artifact from the locator `putArtifact` returned. */
  readArtifact?(store: ResultStore, locator: string): Promise<Uint8Array>;
}

/** A factory for a fresh, empty store; called before every test. */
export type MakeResultStore = () => ResultStore | Promise<ResultStore>;

/** A minimal valid report v1 for `id`; `overrides` are merged in. */
export function sampleResult(id: string, overrides: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    schemaVersion: 1,
    id,
    source: 'clip.mp4',
    status: 'succeeded',
    media: {
      durationSec: 30,
      video: { codec: 'h264', width: 640, height: 360, fps: 25 },
      audio: { codec: 'aac', sampleRate: 48_000, channels: 2 },
    },
    stats: { videoFrames: 750, audioChunks: 750, wallSec: 1.2, speed: 25 },
    defects: [{ type: 'black', startSec: 5, endSec: 7, confidence: 0.99, detail: {} }],
    ...overrides,
  };
}

/** A result big enough (~1 MB of JSON) that a non-atomic write would be observably torn. */
function bulkyResult(id: string, marker: number): AnalysisResult {
  const defects = Array.from({ length: 8000 }, (_, i) => ({
    type: 'freeze' as const,
    startSec: i,
    endSec: i + 0.5,
    confidence: (marker % 100) / 100,
    detail: { writer: marker, note: 'x'.repeat(80) },
  }));
  return sampleResult(id, { defects, stats: { videoFrames: marker, audioChunks: marker, wallSec: marker, speed: marker } });
}

async function collect(iterable: AsyncIterable<AnalysisResult>): Promise<AnalysisResult[]> {
  const out: AnalysisResult[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return (err as FramewatchError).code;
  }
  throw new Error('expected the call to fail');
}

const BAD_IDS = ['', '.', '..', '../escape', '../../etc/passwd', 'a/b', 'a\\b', '.hidden', '-dash', 'a b', 'nul\0byte', 'é', 'x'.repeat(129)];

/**
 * Registers the ResultStore conformance suite as a Jest `describe` block named `name`.
 * Includes RELIABILITY.md R8: retried writes and racing writers leave one consistent object.
 *
 * @example
 * describeResultStoreConformance('local files', async () => createLocalResultStore({ dir: await mkdtemp(join(tmpdir(), 'fw-')) }));
 */
export function describeResultStoreConformance(name: string, makeStore: MakeResultStore, hooks: ResultStoreConformanceHooks = {}): void {
  describe(`ResultStore conformance: ${name}`, () => {
    let store: ResultStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    describe('put and get', () => {
      it('returns null for an id that was never stored', async () => {
        await expect(store.get('an-missing')).resolves.toBeNull();
      });

      it('returns what was put', async () => {
        const result = sampleResult('an-1');
        await store.put(result);
        await expect(store.get('an-1')).resolves.toEqual(result);
      });

      it('keeps results of different ids apart', async () => {
        await store.put(sampleResult('an-1', { source: 'one.mp4' }));
        await store.put(sampleResult('an-2', { source: 'two.mp4', status: 'failed', error: { code: 'INPUT_TRUNCATED', message: 'ends early' } }));
        expect((await store.get('an-1'))?.source).toBe('one.mp4');
        expect(await store.get('an-2')).toMatchObject({ source: 'two.mp4', error: { code: 'INPUT_TRUNCATED' } });
      });

      it('round-trips unicode and null media', async () => {
        const result = sampleResult('an-unicode', { source: 'vidéo-📼.mp4', media: { durationSec: null, video: null, audio: null } });
        await store.put(result);
        await expect(store.get('an-unicode')).resolves.toEqual(result);
      });

      it('replaces a result with a later, different write of the same id', async () => {
        await store.put(sampleResult('an-1', { status: 'failed' }));
        await store.put(sampleResult('an-1', { status: 'succeeded' }));
        expect((await store.get('an-1'))?.status).toBe('succeeded');
      });

      it.each(BAD_IDS)('rejects the id %j with USAGE on put, get, putArtifact and list', async (id) => {
        expect(await codeOf(store.put(sampleResult(id)))).toBe('USAGE');
        expect(await codeOf(store.get(id))).toBe('USAGE');
        expect(await codeOf(store.putArtifact(id, 'report.html', '<p>', 'text/html'))).toBe('USAGE');
        expect(await codeOf(collect(store.list({ after: id })))).toBe('USAGE');
      });

      it('rejects a result that is not schema v1', async () => {
        expect(await codeOf(store.put({ ...sampleResult('an-1'), schemaVersion: 2 } as unknown as AnalysisResult))).toBe('USAGE');
        await expect(store.get('an-1')).resolves.toBeNull();
      });
    });

    describe('R8: retried writes and racing writers leave one consistent object', () => {
      it('treats a retried put of the same content as a no-op', async () => {
        const result = sampleResult('an-retry');
        await store.put(result);
        await store.put(result);
        await store.put(structuredClone(result));
        await expect(store.get('an-retry')).resolves.toEqual(result);
        expect((await collect(store.list())).map((r) => r.id)).toEqual(['an-retry']);
      });

      it('leaves one complete object when the same write is retried concurrently', async () => {
        const result = bulkyResult('an-race', 1);
        await Promise.all(Array.from({ length: 8 }, () => store.put(result)));
        await expect(store.get('an-race')).resolves.toEqual(result);
      });

      it('leaves exactly one of the racing writers\' objects, never a mix', async () => {
        const writers = Array.from({ length: 6 }, (_, i) => bulkyResult('an-race', i + 1));
        await Promise.all(writers.map((r) => store.put(r)));
        const stored = await store.get('an-race');
        expect(stored).not.toBeNull();
        const marker = stored?.stats.videoFrames ?? -1;
        expect(stored).toEqual(writers[marker - 1]);
        expect((await collect(store.list())).map((r) => r.id)).toEqual(['an-race']);
      });

      it('never shows a reader a torn object while writers race', async () => {
        await store.put(bulkyResult('an-race', 1));
        let writing = true;
        const seen = new Set<number>();
        const reader = (async () => {
          while (writing) {
            const got = await store.get('an-race');
            // A torn read would either fail to parse (INTERNAL) or mix two writers' defects.
            expect(got).not.toBeNull();
            const marker = got?.stats.videoFrames ?? -1;
            expect(got?.defects.every((d) => d.detail.writer === marker)).toBe(true);
            seen.add(marker);
          }
        })();
        try {
          for (let round = 0; round < 4; round++) {
            await Promise.all([2, 3, 4].map((m) => store.put(bulkyResult('an-race', m + round * 3))));
          }
        } finally {
          writing = false;
        }
        await reader;
        expect(seen.size).toBeGreaterThan(0);
      });
    });

    describe('list', () => {
      it('yields nothing from an empty store', async () => {
        await expect(collect(store.list())).resolves.toEqual([]);
      });

      it('yields every result once, in key order', async () => {
        const ids = ['an-003', 'an-001', 'an-010', 'an-002'];
        for (const id of ids) await store.put(sampleResult(id));
        expect((await collect(store.list())).map((r) => r.id)).toEqual(['an-001', 'an-002', 'an-003', 'an-010']);
      });

      it('honours limit', async () => {
        for (const id of ['an-1', 'an-2', 'an-3']) await store.put(sampleResult(id));
        expect((await collect(store.list({ limit: 2 }))).map((r) => r.id)).toEqual(['an-1', 'an-2']);
        expect(await collect(store.list({ limit: 0 }))).toEqual([]);
        expect(await codeOf(collect(store.list({ limit: -1 })))).toBe('USAGE');
        expect(await codeOf(collect(store.list({ limit: 1.5 })))).toBe('USAGE');
      });

      it('pages with after = the last id seen, covering every result exactly once', async () => {
        // Ids that are prefixes of others, where id order and key order differ.
        const ids = ['a', 'a-b', 'a.b', 'ab', 'a_b', 'b', 'Z', '0', 'a.b.c'];
        for (const id of ids) await store.put(sampleResult(id));
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = (await collect(store.list({ limit: 2, after }))).map((r) => r.id);
          if (page.length === 0) break;
          seen.push(...page);
          after = page[page.length - 1];
        }
        expect(seen).toEqual([...ids].sort(compareResultIds));
      });

      it('treats after as an exclusive cursor that need not exist', async () => {
        for (const id of ['an-1', 'an-3', 'an-5']) await store.put(sampleResult(id));
        expect((await collect(store.list({ after: 'an-1' }))).map((r) => r.id)).toEqual(['an-3', 'an-5']);
        expect((await collect(store.list({ after: 'an-4' }))).map((r) => r.id)).toEqual(['an-5']);
        expect(await collect(store.list({ after: 'an-9' }))).toEqual([]);
      });

      it('skips ids that have artifacts but no result yet', async () => {
        await store.putArtifact('an-pending', 'report.html', '<p>soon</p>', 'text/html');
        await store.put(sampleResult('an-done'));
        expect((await collect(store.list())).map((r) => r.id)).toEqual(['an-done']);
      });

      it('is lazy: stopping early does not fail', async () => {
        for (const id of ['an-1', 'an-2', 'an-3']) await store.put(sampleResult(id));
        const generator = store.list();
        const first = await generator.next();
        expect(first.value).toMatchObject({ id: 'an-1' });
        await expect(generator.return(undefined)).resolves.toEqual({ done: true, value: undefined });
      });
    });

    describe('putArtifact', () => {
      it('returns a deterministic locator naming the id and the artifact', async () => {
        const first = await store.putArtifact('an-1', 'report.html', '<h1>report</h1>', 'text/html; charset=utf-8');
        const again = await store.putArtifact('an-1', 'report.html', '<h1>report</h1>', 'text/html; charset=utf-8');
        expect(again).toBe(first);
        expect(first).toContain('an-1');
        expect(first).toContain('report.html');
      });

      it('stores string and byte bodies as given', async () => {
        const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff).subarray(10, 290);
        const textLocator = await store.putArtifact('an-1', 'report.html', '<p>vidéo</p>', 'text/html');
        const bytesLocator = await store.putArtifact('an-1', 'thumb.png', bytes, 'image/png');
        if (hooks.readArtifact) {
          expect(Buffer.from(await hooks.readArtifact(store, textLocator)).toString('utf8')).toBe('<p>vidéo</p>');
          expect(Buffer.from(await hooks.readArtifact(store, bytesLocator))).toEqual(Buffer.from(bytes));
        }
        expect(bytesLocator).not.toBe(textLocator);
      });

      it('does not disturb the result stored under the same id', async () => {
        const result = sampleResult('an-1');
        await store.put(result);
        await store.putArtifact('an-1', 'report.html', '<p>', 'text/html');
        await expect(store.get('an-1')).resolves.toEqual(result);
      });

      it.each(['report.json', '../report.html', '.report.html', 'a/b.html', ''])('rejects the artifact name %j with USAGE', async (artifact) => {
        expect(await codeOf(store.putArtifact('an-1', artifact, '<p>', 'text/html'))).toBe('USAGE');
      });

      it('rejects a malformed content type with USAGE', async () => {
        expect(await codeOf(store.putArtifact('an-1', 'report.html', '<p>', 'html'))).toBe('USAGE');
      });
    });

    const corrupt = hooks.corrupt;
    if (corrupt) {
      describe('corrupt objects', () => {
        it('reports a corrupt stored result as INTERNAL, naming the id', async () => {
          await store.put(sampleResult('an-bad'));
          await corrupt(store, 'an-bad');
          let error: unknown;
          await store.get('an-bad').catch((err: unknown) => (error = err));
          expect(error).toBeInstanceOf(FramewatchError);
          expect(error).toMatchObject({ code: 'INTERNAL', detail: { id: 'an-bad' } });
          expect((error as Error).message).toContain('an-bad');
        });
      });
    }
  });
}
