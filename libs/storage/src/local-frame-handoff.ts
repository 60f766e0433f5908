/**
 * The embedded FrameHandoff: files in the data dir (DESIGN.md "Storage"), for the `services-s3`
 * topology on one machine.
 *
 * Layout: key `a/b/c` is the file `<dir>/frames/a/b/c~`. The `~` suffix, which no key contains,
 * lets key `a` (file `a~`) and key `a/b` (directory `a/`) coexist as they do in S3, and keeps the
 * temporary files of a write (`.<pid>.<uuid>.tmp`, dot-led like no key segment) apart from
 * data. Writes go to a temporary file in the target directory and are renamed over the target,
 * so a reader sees the old complete object or the new one, never a torn one. They are not
 * fsynced: frame batches are transient and re-created by re-running the job.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FramewatchError } from '@framewatch/errors';
import { assertFrameKey } from './frame-key';
import type { FrameHandoff } from './job-store';

/** Options of {@link createLocalFrameHandoff}. */
export interface LocalFrameHandoffOptions {
  /** The data dir; objects go under `<dir>/frames/`, created on first write. */
  dir: string;
}

/**
 * Creates the file-system {@link FrameHandoff}. `stats()` counts every call that passed key
 * validation (a `get` of a missing key and a `delete` of one included, as S3 would bill them) and
 * the bytes actually written and read.
 *
 * @example
 * const frames = createLocalFrameHandoff({ dir: config.dataDir });
 * await frames.put('an-42/video/000017.fwf', encodedBatch);
 * const batch = await frames.get('an-42/video/000017.fwf');
 * await frames.delete('an-42/video/000017.fwf');
 */
export function createLocalFrameHandoff(options: LocalFrameHandoffOptions): FrameHandoff {
  const root = resolve(options.dir, 'frames');
  const counts = { puts: 0, gets: 0, deletes: 0, bytesWritten: 0, bytesRead: 0 };
  const pathOf = (key: string): string => `${join(root, ...key.split('/'))}~`;

  return {
    async put(key, bytes) {
      assertFrameKey(key);
      if (!(bytes instanceof Uint8Array)) throw new FramewatchError('USAGE', 'frame handoff bytes must be a Uint8Array');
      counts.puts += 1;
      const target = pathOf(key);
      const temp = join(dirname(target), `.${process.pid}.${randomUUID()}.tmp`);
      try {
        await mkdir(dirname(target), { recursive: true });
        try {
          await writeFile(temp, bytes, { flag: 'wx' });
          await rename(temp, target);
        } catch (err) {
          await unlink(temp).catch(() => undefined);
          throw err;
        }
      } catch (err) {
        throw unavailable('write', key, err);
      }
      counts.bytesWritten += bytes.byteLength;
    },

    async get(key) {
      assertFrameKey(key);
      counts.gets += 1;
      let data: Buffer;
      try {
        data = await readFile(pathOf(key));
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') {
          throw new FramewatchError('NOT_FOUND', `frame object ${key} does not exist`, { detail: { key } });
        }
        throw unavailable('read', key, err);
      }
      counts.bytesRead += data.byteLength;
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    },

    async delete(key) {
      assertFrameKey(key);
      counts.deletes += 1;
      try {
        await unlink(pathOf(key));
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
        throw unavailable('delete', key, err);
      }
    },

    stats() {
      return { ...counts };
    },
  };
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function unavailable(what: string, key: string, cause: unknown): FramewatchError {
  // The errno code, not the OS message: the latter holds absolute paths.
  return new FramewatchError('UNAVAILABLE', `cannot ${what} frame object ${key}: ${errno(cause) ?? 'I/O error'}`, { cause, detail: { key } });
}
