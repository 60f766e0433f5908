import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FramewatchError } from '@framewatch/errors';
import { createLocalFrameHandoff } from './local-frame-handoff';
import { describeFrameHandoffConformance } from './testing';

const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'framewatch-frames-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeFrameHandoffConformance('local files', async () => createLocalFrameHandoff({ dir: await freshDir() }));

describe('local FrameHandoff', () => {
  it('writes key a/b/c to <dir>/frames/a/b/c~ and leaves no temporary files', async () => {
    const dir = await freshDir();
    const handoff = createLocalFrameHandoff({ dir });
    await Promise.all(Array.from({ length: 8 }, (_, i) => handoff.put('an-1/video/000001.fwf', Uint8Array.of(i))));
    expect(await readdir(join(dir, 'frames', 'an-1', 'video'))).toEqual(['000001.fwf~']);
    expect((await stat(join(dir, 'frames', 'an-1', 'video', '000001.fwf~'))).size).toBe(1);
  });

  it('shares objects between two handoffs on one data dir, as two processes would', async () => {
    const dir = await freshDir();
    const converter = createLocalFrameHandoff({ dir });
    const detector = createLocalFrameHandoff({ dir });
    await converter.put('an-1/a', Uint8Array.of(1, 2, 3));
    expect([...(await detector.get('an-1/a'))]).toEqual([1, 2, 3]);
    await detector.delete('an-1/a');
    await expect(converter.get('an-1/a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(converter.stats()).toMatchObject({ puts: 1, gets: 1, deletes: 0 });
    expect(detector.stats()).toMatchObject({ puts: 0, gets: 1, deletes: 1 });
  });

  it('ignores leftovers of a write that crashed before its rename', async () => {
    const dir = await freshDir();
    const handoff = createLocalFrameHandoff({ dir });
    await handoff.put('an-1/a', Uint8Array.of(1));
    await writeFile(join(dir, 'frames', 'an-1', '.999.crashed.tmp'), 'partial');
    expect([...(await handoff.get('an-1/a'))]).toEqual([1]);
  });

  it('creates nothing outside the data dir for a path-traversal key', async () => {
    const dir = await freshDir();
    const handoff = createLocalFrameHandoff({ dir });
    await expect(handoff.put('../../escape', Uint8Array.of(1))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(handoff.put('a/../../escape', Uint8Array.of(1))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('reports storage it cannot write as UNAVAILABLE without leaking the path', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'blocker'), 'x');
    const handoff = createLocalFrameHandoff({ dir: join(dir, 'blocker') });
    const error = await handoff.put('an-1/a', Uint8Array.of(1)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FramewatchError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot write frame object an-1/a: ENOTDIR', detail: { key: 'an-1/a' } });
    expect(handoff.stats()).toMatchObject({ puts: 1, bytesWritten: 0 });
  });

  it('rejects bytes that are not a Uint8Array as USAGE', async () => {
    const handoff = createLocalFrameHandoff({ dir: await freshDir() });
    await expect(handoff.put('a', 'text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
