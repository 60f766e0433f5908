import { FramewatchError } from '@framewatch/errors';
import { checkSourceUrl, parseSubmission } from './submission';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as FramewatchError).code;
  }
  return 'none';
}

describe('checkSourceUrl', () => {
  it.each([
    'file:///etc/passwd',
    '/etc/passwd',
    'concat:a.mp4|b.mp4',
    'subfile,,start,0,end,100,,:/etc/passwd',
    'data:video/mp4;base64,AAAA',
    'pipe:0',
    '-i',
    '-protocol_whitelist',
    'ftp://example.com/a.mp4',
    'http:/example.com/a.mp4',
    'https://user:pass@example.com/a.mp4',
    'https://example.com/a b.mp4',
    'https://example.com/a\n.mp4',
    '',
  ])('refuses %j as SOURCE_REJECTED', (url) => {
    expect(codeOf(() => checkSourceUrl(url))).toBe('SOURCE_REJECTED');
  });

  it('refuses a URL over the length cap', () => {
    expect(codeOf(() => checkSourceUrl(`https://example.com/${'a'.repeat(2100)}`))).toBe('SOURCE_REJECTED');
  });

  it.each(['https://example.com/a.mp4', 'HTTP://example.com/live/index.m3u8?sig=abc', 'srt://example.com:9000?streamid=x'])('accepts %j', (url) => {
    expect(checkSourceUrl(url)?.hostname).toBe('example.com');
  });

  it('lets udp:// through to the input rules, which decide whether listening sources are allowed', () => {
    expect(checkSourceUrl('udp://@:5004')).toBeNull();
  });

  it.each(['srt://user:pass@example.com:9000', 'srt:/example.com:9000', 'rtmp://example.com/live', 'rtp://@:5004', 'udp:5004'])('refuses %j', (url) => {
    expect(codeOf(() => checkSourceUrl(url))).toBe('SOURCE_REJECTED');
  });
});

describe('parseSubmission', () => {
  it('accepts a URL source with detectors', () => {
    expect(parseSubmission({ source: { url: 'https://example.com/a.mp4' }, detectors: ['black', 'freeze'] })).toEqual({
      source: { url: 'https://example.com/a.mp4' },
      detectors: ['black', 'freeze'],
    });
  });

  it('accepts an S3 source', () => {
    expect(parseSubmission({ source: { s3: { bucket: 'media-in', key: 'clips/a.mp4' } } })).toEqual({
      source: { s3: { bucket: 'media-in', key: 'clips/a.mp4' } },
    });
  });

  it.each<[string, unknown]>([
    ['an array', []],
    ['a missing source', {}],
    ['an unknown top-level field', { source: { url: 'https://example.com/a' }, priority: 1 }],
    ['both url and s3', { source: { url: 'https://example.com/a', s3: { bucket: 'abc', key: 'k' } } }],
    ['an unknown source kind', { source: { path: '/etc/passwd' } }],
    ['a non-string url', { source: { url: 42 } }],
    ['an extra s3 field', { source: { s3: { bucket: 'abc', key: 'k', region: 'x' } } }],
    ['a bad bucket', { source: { s3: { bucket: 'A_B', key: 'k' } } }],
    ['an empty key', { source: { s3: { bucket: 'abc', key: '' } } }],
    ['empty detectors', { source: { url: 'https://example.com/a' }, detectors: [] }],
    ['a bad detector name', { source: { url: 'https://example.com/a' }, detectors: ['../x'] }],
    ['a duplicated detector', { source: { url: 'https://example.com/a' }, detectors: ['black', 'black'] }],
    ['a __proto__ key', JSON.parse('{"source":{"url":"https://example.com/a"},"__proto__":{"x":1}}')],
  ])('refuses %s as USAGE', (_name, body) => {
    expect(codeOf(() => parseSubmission(body))).toBe('USAGE');
  });

  it('refuses a detector outside the known list', () => {
    expect(codeOf(() => parseSubmission({ source: { url: 'https://example.com/a' }, detectors: ['vibes'] }, ['black']))).toBe('USAGE');
  });

  it('reports a hostile URL as SOURCE_REJECTED even when other fields are wrong too', () => {
    expect(codeOf(() => parseSubmission({ source: { url: 'file:///etc/passwd' }, extra: true }))).toBe('SOURCE_REJECTED');
  });
});
