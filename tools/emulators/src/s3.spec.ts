import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver } from './s3';

function status(url: string): Promise<number | string> {
  return new Promise((done) => {
    // A fresh connection each time: Node's global agent keeps sockets alive, and a pooled socket
    // to a server that has since stopped fails with ECONNRESET instead of a refused connection.
    const req = request(url, { timeout: 10_000, agent: false }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    req.end();
  });
}

describe('startS3rver', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'framewatch-s3rver-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers on 127.0.0.1 with the configured buckets, and refuses connections once stopped', async () => {
    const s3 = await startS3rver({ dir, buckets: ['results'] });
    try {
      expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // s3rver serves anonymous requests: a configured bucket lists, an unknown one is NoSuchBucket.
      expect(await status(`${s3.endpoint}/results`)).toBe(200);
      expect(await status(`${s3.endpoint}/other`)).toBe(404);
    } finally {
      await s3.stop();
    }
    expect(await status(`${s3.endpoint}/results`)).toBe('ECONNREFUSED');
  });

  it('stops idempotently', async () => {
    const s3 = await startS3rver({ dir });
    await Promise.all([s3.stop(), s3.stop()]);
    await expect(s3.stop()).resolves.toBeUndefined();
  });

  it('fails clearly when the port is taken', async () => {
    const first = await startS3rver({ dir });
    try {
      await expect(startS3rver({ dir, port: first.port })).rejects.toThrow(/s3rver exited before listening.*EADDRINUSE/s);
    } finally {
      await first.stop();
    }
  });
});
