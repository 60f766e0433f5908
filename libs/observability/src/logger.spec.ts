import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('createLogger', () => {
  it('writes JSON lines with level, component and fields', () => {
    const out = capture();
    const log = createLogger({ name: 'test', destination: out.stream });
    log.info({ jobId: 'an-1' }, 'started');
    expect(out.lines()[0]).toMatchObject({ level: 30, component: 'test', jobId: 'an-1', msg: 'started' });
  });

  it('redacts credentials', () => {
    const out = capture();
    const log = createLogger({ name: 'test', destination: out.stream });
    log.info({ req: { headers: { authorization: 'Bearer abc.def' } }, token: 's3cr3t' }, 'request');
    const text = JSON.stringify(out.lines());
    expect(text).not.toContain('abc.def');
    expect(text).not.toContain('s3cr3t');
  });

  it('respects the level', () => {
    const out = capture();
    const log = createLogger({ name: 'test', level: 'warn', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l['msg'])).toEqual(['shown']);
  });
});
