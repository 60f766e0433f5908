import { CodecError, FramewatchError, InputError, exitCodeFor, httpStatusFor, systemErrorCode, toFramewatchError, toProblem } from './errors';

describe('errors', () => {
  it('keeps code, name and cause', () => {
    const cause = new Error('ENOENT');
    const err = new InputError('INPUT_NOT_FOUND', 'clip.mp4 does not exist', { cause });
    expect(err).toBeInstanceOf(FramewatchError);
    expect(err.name).toBe('InputError');
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.cause).toBe(cause);
  });

  it('maps bad input to exit 2 and bugs to exit 3', () => {
    expect(exitCodeFor(new InputError('INPUT_EMPTY', 'empty'))).toBe(2);
    expect(exitCodeFor(new CodecError('bad magic'))).toBe(2);
    expect(exitCodeFor(new TypeError('x is undefined'))).toBe(3);
  });

  it('wraps unknown errors as INTERNAL and hides their message from problem documents', () => {
    const wrapped = toFramewatchError(new Error('secret path /root/.aws'));
    expect(wrapped.code).toBe('INTERNAL');
    const problem = toProblem(new Error('secret path /root/.aws'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
  });

  it('gives problem documents a stable code and status', () => {
    const problem = toProblem(new InputError('INPUT_NOT_MEDIA', 'not media'), '/v1/analyses');
    expect(problem).toMatchObject({ status: 422, code: 'INPUT_NOT_MEDIA', detail: 'not media', instance: '/v1/analyses' });
    expect(httpStatusFor(new InputError('INPUT_NOT_MEDIA', 'x'))).toBe(422);
  });
});

describe('systemErrorCode', () => {
  it('finds the errno on the error or on a cause, up to four levels, and nothing otherwise', () => {
    expect(systemErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    const wrapped = new Error('fetch failed', { cause: new Error('socket', { cause: Object.assign(new Error('s'), { code: 'UND_ERR_SOCKET' }) }) });
    expect(systemErrorCode(wrapped)).toBe('UND_ERR_SOCKET');
    let deep: Error = Object.assign(new Error('d'), { code: 'ETIMEDOUT' });
    for (let i = 0; i < 4; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(systemErrorCode(deep)).toBeUndefined();
    expect(systemErrorCode('ECONNRESET')).toBeUndefined();
    expect(systemErrorCode(null)).toBeUndefined();
  });
});
