/**
 * The embedded ResultStore: plain files in the data dir, no setup (DESIGN.md "Storage").
 *
 * Layout: `<dir>/results/<id>/report.json` and `<dir>/results/<id>/<artifact>`. Every file is
 * written to a temporary file in the same directory, fsynced, then renamed over the target, so a
 * reader (or a crash) sees the old complete file or the new complete file, never a torn one.
 * Temporary names start with a dot, which no valid id or artifact name does, so leftovers of a
 * crash can never be mistaken for data.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FramewatchError } from '@framewatch/errors';
import type { AnalysisResult } from '@framewatch/pipeline';
import {
  type ListResultsOptions,
  REPORT_NAME,
  RESULT_ID_PATTERN,
  type ResultStore,
  assertArtifactName,
  assertContentType,
  assertResultId,
  checkListOptions,
  compareResultIds,
  parseStoredResult,
  serializeResult,
} from './result-store';

/** Options of {@link createLocalResultStore}. */
export interface LocalResultStoreOptions {
  /** The data dir; results go under `<dir>/results/`. Created on first write. */
  dir: string;
}

/**
 * Creates the file-system {@link ResultStore}. Artifact locators are absolute file paths. The
 * content type given to `putArtifact` is validated but not stored: files are served by their
 * extension.
 *
 * @example
 * const store = createLocalResultStore({ dir: '.framewatch' });
 * await store.put(result);
 * const html = await store.putArtifact(result.id, 'report.html', renderHtml(result), 'text/html; charset=utf-8');
 */
export function createLocalResultStore(options: LocalResultStoreOptions): ResultStore {
  const resultsDir = resolve(options.dir, 'results');

  async function read(id: string): Promise<AnalysisResult | null> {
    let text: string;
    try {
      text = await readFile(join(resultsDir, id, REPORT_NAME), 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw unavailable(`cannot read result ${id}`, id, err);
    }
    return parseStoredResult(id, text);
  }

  return {
    async put(result) {
      const text = serializeResult(result);
      await writeAtomically(resultsDir, result.id, REPORT_NAME, Buffer.from(text, 'utf8'));
    },

    async get(id) {
      assertResultId(id);
      return read(id);
    },

    async *list(listOptions: ListResultsOptions = {}) {
      const { limit, after } = checkListOptions(listOptions);
      if (limit === 0) return;
      let entries;
      try {
        entries = await readdir(resultsDir, { withFileTypes: true });
      } catch (err) {
        if (errno(err) === 'ENOENT') return;
        throw unavailable('cannot list results', undefined, err);
      }
      const ids = entries
        .filter((e) => e.isDirectory() && RESULT_ID_PATTERN.test(e.name))
        .map((e) => e.name)
        .filter((id) => after === undefined || compareResultIds(id, after) > 0)
        .sort(compareResultIds);
      let yielded = 0;
      for (const id of ids) {
        // An id directory may hold only artifacts, or be mid-way through its first write.
        const result = await read(id);
        if (result === null) continue;
        yield result;
        if (++yielded >= limit) return;
      }
    },

    async putArtifact(id, name, body, contentType) {
      assertResultId(id);
      assertArtifactName(name);
      assertContentType(contentType);
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return writeAtomically(resultsDir, id, name, bytes);
    },
  };
}

/**
 * Writes `<resultsDir>/<id>/<name>` atomically and durably; does nothing if the file already
 * holds exactly `bytes` (a retried write). Returns the file's absolute path.
 */
async function writeAtomically(resultsDir: string, id: string, name: string, bytes: Buffer): Promise<string> {
  const dir = join(resultsDir, id);
  const target = join(dir, name);
  try {
    const existing = await readFile(target).catch((err: unknown) => {
      if (errno(err) === 'ENOENT') return null;
      throw err;
    });
    if (existing !== null && existing.equals(bytes)) return target;

    const created = await mkdir(dir, { recursive: true });
    // pid + random: unique across processes and across concurrent writers in one process.
    const temp = join(dir, `.${name}.${process.pid}.${randomUUID()}.tmp`);
    const handle = await open(temp, 'wx', 0o644);
    try {
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    // Make the rename (and a newly created id directory) survive a power cut, not only a crash.
    await syncDirectory(dir);
    if (created !== undefined) await syncDirectory(resultsDir);
    return target;
  } catch (err) {
    throw unavailable(`cannot write ${name} of result ${id}`, id, err);
  }
}

async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms and file systems cannot fsync a directory; the rename is still atomic.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EACCES'].includes(errno(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function unavailable(message: string, id: string | undefined, cause: unknown): FramewatchError {
  // The errno code, not the OS message: the latter holds absolute paths.
  return new FramewatchError('UNAVAILABLE', `${message}: ${errno(cause) ?? 'I/O error'}`, { cause, detail: id === undefined ? {} : { id } });
}
