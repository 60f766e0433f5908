/**
 * Streams an upload request body into the upload area with a size cap. Nothing is buffered in
 * memory beyond the stream's high-water mark; a body over the cap (declared or actual) is refused
 * with `PAYLOAD_TOO_LARGE` and the partial file is removed.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import { FramewatchError, InputError, UsageError } from '@framewatch/errors';

/** Content types accepted as an upload (DESIGN.md "HTTP API"). */
export function isUploadContentType(mediaType: string): boolean {
  return /^(video|audio)\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(mediaType) || mediaType === 'application/octet-stream';
}

/** A stored upload, as recorded in the job source. */
export interface StoredUpload {
  path: string;
  bytes: number;
  contentType: string;
}

/**
 * Refuses a declared `Content-Length` over `maxBytes` before any byte is read.
 * @throws FramewatchError `PAYLOAD_TOO_LARGE`.
 */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw tooLarge(maxBytes);
  }
}

/**
 * Writes `req`'s body to a new file in `dir` (created exclusively, mode 0600).
 * @throws FramewatchError `PAYLOAD_TOO_LARGE` over `maxBytes`, `INPUT_EMPTY` for an empty body,
 *   `USAGE` when the client aborts; the partial file is removed in every case.
 */
export async function storeUpload(req: IncomingMessage, dir: string, maxBytes: number, contentType: string): Promise<StoredUpload> {
  checkDeclaredLength(req, maxBytes);
  const path = join(dir, `upload-${randomUUID()}`);
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(tooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(req, cap, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true });
    if (err instanceof FramewatchError) throw err;
    if (req.aborted || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
      throw new UsageError('the upload was aborted by the client', { cause: err });
    }
    throw new FramewatchError('UNAVAILABLE', 'the upload could not be stored', { cause: err });
  }
  if (bytes === 0) {
    await rm(path, { force: true });
    throw new InputError('INPUT_EMPTY', 'the upload is empty (0 bytes)');
  }
  return { path, bytes, contentType };
}

function tooLarge(maxBytes: number): FramewatchError {
  return new FramewatchError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, { detail: { maxBytes } });
}
