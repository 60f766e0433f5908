/**
 * The one test suite every FrameHandoff adapter runs (local files now, S3 later). Call it from an
 * adapter's spec file.
 */
import { FramewatchError } from '@framewatch/errors';
import type { FrameHandoff } from '../job-store';

/** A factory for a fresh, empty handoff with zeroed stats; called before every test. */
export type MakeFrameHandoff = () => FrameHandoff | Promise<FrameHandoff>;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FramewatchError);
    return (err as FramewatchError).code;
  }
  throw new Error('expected the call to fail');
}

/** `size` bytes that differ per `marker` at every position, so a torn mix of two is detectable. */
function pattern(marker: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + marker * 17) & 0xff;
  bytes[0] = marker;
  return bytes;
}

const BAD_KEYS = [
  '',
  '.',
  '..',
  '../escape',
  'a/../b',
  'a/..',
  'a..b',
  '/abs',
  'a//b',
  'a/',
  '.hidden',
  'a/.hidden',
  '-dash',
  'a b',
  'a\\b',
  'é',
  'nul\0byte',
  'a~',
  'x'.repeat(257),
  `a/${'x'.repeat(251)}`,
];

/**
 * Registers the FrameHandoff conformance suite as a Jest `describe` block named `name`.
 *
 * @example
 * describeFrameHandoffConformance('local files', async () => createLocalFrameHandoff({ dir: await mkdtemp(join(tmpdir(), 'fw-')) }));
 */
export function describeFrameHandoffConformance(name: string, makeHandoff: MakeFrameHandoff): void {
  describe(`FrameHandoff conformance: ${name}`, () => {
    let handoff: FrameHandoff;
    beforeEach(async () => {
      handoff = await makeHandoff();
    });

    it('returns exactly the bytes that were put, for binary, empty and large objects', async () => {
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = pattern(7, 3 * 1024 * 1024 + 5);
      await handoff.put('an-1/video/000001.fwf', binary);
      await handoff.put('an-1/empty', new Uint8Array(0));
      await handoff.put('an-1/large', large);
      expect(Buffer.from(await handoff.get('an-1/video/000001.fwf'))).toEqual(Buffer.from(binary));
      expect((await handoff.get('an-1/empty')).byteLength).toBe(0);
      expect(Buffer.from(await handoff.get('an-1/large')).equals(Buffer.from(large))).toBe(true);
    });

    it('stores only the viewed bytes of a subarray', async () => {
      const whole = Uint8Array.from({ length: 100 }, (_, i) => i);
      await handoff.put('view', whole.subarray(10, 20));
      expect([...(await handoff.get('view'))]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    });

    it('replaces an object on a later put, and a repeated identical put is harmless', async () => {
      await handoff.put('k', pattern(1, 10));
      await handoff.put('k', pattern(2, 20));
      await handoff.put('k', pattern(2, 20));
      expect(Buffer.from(await handoff.get('k'))).toEqual(Buffer.from(pattern(2, 20)));
    });

    it('keeps a key and keys below it as a prefix apart', async () => {
      await handoff.put('an-1', pattern(1, 4));
      await handoff.put('an-1/a', pattern(2, 4));
      await handoff.put('an-1/a/b', pattern(3, 4));
      await handoff.put('an-1.a', pattern(4, 4));
      expect((await handoff.get('an-1'))[0]).toBe(1);
      expect((await handoff.get('an-1/a'))[0]).toBe(2);
      expect((await handoff.get('an-1/a/b'))[0]).toBe(3);
      expect((await handoff.get('an-1.a'))[0]).toBe(4);
    });

    it('is NOT_FOUND for a key never put, including one below an existing object', async () => {
      await handoff.put('an-1/a', pattern(1, 4));
      expect(await codeOf(handoff.get('an-2'))).toBe('NOT_FOUND');
      expect(await codeOf(handoff.get('an-1/a/b'))).toBe('NOT_FOUND');
      expect(await codeOf(handoff.get('an-1'))).toBe('NOT_FOUND');
    });

    it('deletes idempotently: the object is gone, and deleting a missing key is not an error', async () => {
      await handoff.put('an-1/a', pattern(1, 4));
      await handoff.put('an-1/b', pattern(2, 4));
      await handoff.delete('an-1/a');
      expect(await codeOf(handoff.get('an-1/a'))).toBe('NOT_FOUND');
      await expect(handoff.delete('an-1/a')).resolves.toBeUndefined();
      await expect(handoff.delete('never/put')).resolves.toBeUndefined();
      expect((await handoff.get('an-1/b'))[0]).toBe(2);
    });

    it('accepts the longest allowed key', async () => {
      const key = `${'a'.repeat(250)}/${'b'.repeat(5)}`;
      expect(key).toHaveLength(256);
      await handoff.put(key, pattern(9, 3));
      expect((await handoff.get(key))[0]).toBe(9);
    });

    it.each(BAD_KEYS)('rejects the key %j with USAGE on put, get and delete', async (key) => {
      expect(await codeOf(handoff.put(key, new Uint8Array(1)))).toBe('USAGE');
      expect(await codeOf(handoff.get(key))).toBe('USAGE');
      expect(await codeOf(handoff.delete(key))).toBe('USAGE');
      expect(handoff.stats()).toEqual({ puts: 0, gets: 0, deletes: 0, bytesWritten: 0, bytesRead: 0 });
    });

    it('counts operations and bytes', async () => {
      expect(handoff.stats()).toEqual({ puts: 0, gets: 0, deletes: 0, bytesWritten: 0, bytesRead: 0 });
      await handoff.put('a', pattern(1, 100));
      await handoff.put('b', pattern(2, 50));
      await handoff.get('a');
      await handoff.get('a');
      await handoff.get('b');
      await codeOf(handoff.get('missing'));
      await handoff.delete('a');
      await handoff.delete('a');
      expect(handoff.stats()).toEqual({ puts: 2, gets: 4, deletes: 2, bytesWritten: 150, bytesRead: 250 });
    });

    it('returns a snapshot from stats, not a live object', async () => {
      const before = handoff.stats();
      await handoff.put('a', pattern(1, 10));
      expect(before.puts).toBe(0);
      before.puts = 99;
      expect(handoff.stats().puts).toBe(1);
    });

    it('never shows a reader a torn object while writers race on one key', async () => {
      const size = 512 * 1024;
      const versions = [1, 2, 3, 4, 5, 6].map((m) => pattern(m, size));
      await handoff.put('race', versions[0]);
      let writing = true;
      const seen = new Set<number>();
      const reader = (async () => {
        while (writing) {
          const got = Buffer.from(await handoff.get('race'));
          const marker = got[0];
          expect(got.equals(Buffer.from(versions[marker - 1]))).toBe(true);
          seen.add(marker);
        }
      })();
      try {
        for (let round = 0; round < 3; round++) await Promise.all(versions.map((v) => handoff.put('race', v)));
      } finally {
        writing = false;
      }
      await reader;
      expect(seen.size).toBeGreaterThan(0);
      const final = Buffer.from(await handoff.get('race'));
      expect(final.equals(Buffer.from(versions[final[0] - 1]))).toBe(true);
    });
  });
}
