/**
 * s3rver (an S3 API on the file system) as a child process on loopback, for the S3 adapters'
 * tests (DESIGN.md "Storage": real AWS-API servers, never only mocks).
 *
 * Why a child process: s3rver's paged listing encrypts continuation tokens with DES, which
 * Node 20's OpenSSL 3 only offers with `--openssl-legacy-provider` (TOOLCHAIN.md); the flag is
 * a process-wide switch we do not want in the test process itself.
 *
 * Why a patched store: s3rver writes an object in place (truncate, then stream) and its metadata
 * in a second file, so a reader racing a writer can see a torn object or a size that does not
 * match the bytes. Real S3 PUTs are atomic, and the adapters' conformance suites check that
 * readers never see torn objects. The runner therefore swaps in a store that writes each object
 * to a temporary file outside the bucket tree and, under a per-key lock, renames it into place
 * and writes its metadata; GET opens the object under the same lock, so the file descriptor
 * pins one complete version together with its metadata. The same store also lists keys in
 * byte order, as S3 does (s3rver's directory walk does not).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { childEnvironment } from '@framewatch/config';

/** Options of {@link startS3rver}. */
export interface S3rverOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /**
   * Working directory: buckets live in `<dir>/buckets`, in-flight writes in `<dir>/tmp`.
   * Created if absent; reusing a directory keeps its objects.
   */
  dir: string;
  /** Buckets to create before the server answers. */
  buckets?: string[];
  /** How long to wait for the server to answer. Default 15 000 ms. */
  startTimeoutMs?: number;
}

/** A running s3rver. */
export interface RunningS3rver {
  /** `http://127.0.0.1:<port>`: use with `forcePathStyle: true` and credentials `S3RVER`/`S3RVER`. */
  endpoint: string;
  /** The port it listens on. */
  port: number;
  /** Kills the server and resolves once the process has been reaped. Idempotent. */
  stop(): Promise<void>;
}

/** The access key id and secret s3rver accepts (its built-in account). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const defaultStartTimeoutMs = 15_000;
const stopGraceMs = 2_000;

/**
 * Starts s3rver on 127.0.0.1 in a child `node --openssl-legacy-provider` process, silent, with
 * `buckets` created, and resolves once it answers HTTP. The child exits on its own when this
 * process goes away (it watches its stdin), so a crashed test run leaves no server behind.
 *
 * @example
 * const s3 = await startS3rver({ dir: await mkdtemp(join(tmpdir(), 's3-')), buckets: ['results'] });
 * const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
 * // …
 * await s3.stop();
 */
export async function startS3rver(options: S3rverOptions): Promise<RunningS3rver> {
  const dir = resolve(options.dir);
  const root = join(dir, 'buckets');
  const tmp = join(dir, 'tmp');
  await mkdir(root, { recursive: true });
  await mkdir(tmp, { recursive: true });
  const config = {
    s3rverPath: require.resolve('s3rver'),
    port: options.port ?? 0,
    root,
    tmp,
    buckets: options.buckets ?? [],
  };
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', RUNNER_SOURCE, JSON.stringify(config)], {
    env: childEnvironment({}),
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
  });
  for (const stream of child.stdio) stream?.on('error', () => undefined);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-8192);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= kill(child, exited);
    return stopping;
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? defaultStartTimeoutMs);
    const port = await readPort(child, exited, deadline, () => stderr);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint, deadline);
    return { endpoint, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the port the runner prints once listening; rejects if it exits or stalls. */
function readPort(child: ChildProcess, exited: Promise<void>, deadline: number, stderr: () => string): Promise<number> {
  return new Promise<number>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in time: ${stderr().trim()}`)), Math.max(0, deadline - Date.now()));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      out += text;
      const line = out.split('\n').find((l) => l.startsWith('LISTENING '));
      if (line === undefined) return;
      clearTimeout(timer);
      resolvePort(Number(line.slice('LISTENING '.length)));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited before listening (code ${child.exitCode}, signal ${child.signalCode}): ${stderr().trim()}`));
    });
  });
}

async function waitUntilAnswering(endpoint: string, deadline: number): Promise<void> {
  for (;;) {
    const status = await new Promise<number | undefined>((done) => {
      const req = request(`${endpoint}/`, { method: 'GET', timeout: 1000 }, (res) => {
        res.resume();
        done(res.statusCode);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => done(undefined));
      req.end();
    });
    // Any HTTP answer (ListBuckets without credentials is a 403) means the server is serving.
    if (status !== undefined) return;
    if (Date.now() > deadline) throw new Error(`s3rver at ${endpoint} does not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The child process: plain CommonJS run with `node -e`, so it needs no build step. Its one
 * argument is the JSON config above.
 */
const RUNNER_SOURCE = String.raw`
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');

const config = JSON.parse(process.argv[process.argv.length - 1]);
const S3rver = require(config.s3rverPath);
const lib = path.dirname(config.s3rverPath);
const FilesystemStore = require(path.join(lib, 'stores', 'filesystem.js'));
const S3Object = require(path.join(lib, 'models', 'object.js'));

class AtomicFilesystemStore extends FilesystemStore {
  constructor(root, tmp) {
    super(root);
    this.tmp = tmp;
    this.locks = new Map();
  }

  async exclusive(bucket, key, fn) {
    const id = bucket + '/' + key;
    const previous = this.locks.get(id) || Promise.resolve();
    let release;
    const current = new Promise((r) => { release = r; });
    const tail = previous.then(() => current);
    this.locks.set(id, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  async writeTemp(data) {
    const temp = path.join(this.tmp, crypto.randomUUID());
    await fsp.writeFile(temp, data, { flag: 'wx' });
    return temp;
  }

  async renameInto(temp, target) {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      try {
        await fsp.rename(temp, target);
        return;
      } catch (err) {
        // A concurrent delete of a sibling may remove the directory between mkdir and rename.
        if (err.code !== 'ENOENT' || attempt >= 3) throw err;
      }
    }
  }

  async putObject(object) {
    const temp = path.join(this.tmp, crypto.randomUUID());
    const hash = crypto.createHash('md5');
    let size = 0;
    try {
      if (Buffer.isBuffer(object.content)) {
        hash.update(object.content);
        size = object.content.length;
        await fsp.writeFile(temp, object.content, { flag: 'wx' });
      } else {
        const counter = new Transform({
          transform(chunk, encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        await pipeline(object.content, counter, fs.createWriteStream(temp, { flags: 'wx' }));
      }
      const md5 = hash.digest('hex');
      await this.exclusive(object.bucket, object.key, async () => {
        await this.renameInto(temp, this.getResourcePath(object.bucket, object.key, 'object'));
        await this.putMetadata(object.bucket, object.key, object.metadata, md5);
      });
      return { size, md5 };
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
  }

  async putMetadata(bucket, key, metadata, md5) {
    const json = {};
    for (const [name, value] of Object.entries(metadata || {})) {
      if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) json[name] = value;
    }
    if (md5) await this.renameInto(await this.writeTemp(md5), this.getResourcePath(bucket, key, 'object.md5'));
    await this.renameInto(await this.writeTemp(JSON.stringify(json, null, 2)), this.getResourcePath(bucket, key, 'metadata.json'));
  }

  async getObject(bucket, key, options) {
    // Resolves once the read stream is open: its descriptor pins the version whose metadata was read.
    return this.exclusive(bucket, key, () => super.getObject(bucket, key, options));
  }

  // s3rver walks directories depth-first, so key "a/x" comes before "a-b/x" although "-" sorts
  // before "/": pages and continuation tokens then skip or repeat keys. S3 lists in byte order;
  // collect every match, sort, and truncate here instead.
  async listObjects(bucket, options) {
    const maxKeys = options.maxKeys === undefined ? Infinity : options.maxKeys;
    const all = await super.listObjects(bucket, { ...options, maxKeys: Infinity });
    const byKey = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const objects = all.objects.sort((a, b) => byKey(a.key, b.key));
    const commonPrefixes = all.commonPrefixes.sort(byKey);
    if (options.delimiter || objects.length <= maxKeys) return { objects, commonPrefixes, isTruncated: false };
    return { objects: objects.slice(0, maxKeys), commonPrefixes, isTruncated: true };
  }

  async deleteObject(bucket, key) {
    await this.exclusive(bucket, key, async () => {
      for (const resource of ['object', 'object.md5', 'metadata.json']) {
        await fsp.rm(this.getResourcePath(bucket, key, resource), { force: true });
      }
    });
    const parts = key.split('/');
    parts.pop();
    while (parts.length) {
      try {
        await fsp.rmdir(path.join(this.getBucketPath(bucket), ...parts));
      } catch {
        return; // not empty (or already gone): a sibling still lives there
      }
      parts.pop();
    }
  }
}

const server = new S3rver({
  address: '127.0.0.1',
  port: config.port,
  silent: true,
  directory: config.root,
  configureBuckets: config.buckets.map((name) => ({ name })),
});
const store = new AtomicFilesystemStore(config.root, config.tmp);
server.store = store;
server.context.store = store;

// Exit with the parent: it holds our stdin open.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));

server.run().then(
  (address) => process.stdout.write('LISTENING ' + address.port + '\n'),
  (err) => {
    process.stderr.write(String((err && err.stack) || err) + '\n');
    process.exit(1);
  },
);
`;
