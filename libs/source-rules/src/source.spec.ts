import type { FramewatchError } from '@framewatch/errors';
import { classifyAddress, validateSource } from './source';
import type { LookupFunction, SourceRules } from './source';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface TempDir {
  dir: string;
  file(name: string): string;
  cleanup(): void;
}

function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), `framewatch-${prefix}-`));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const cli: SourceRules = { allowLocalFiles: true, allowPrivateSources: false };
const api: SourceRules = { allowLocalFiles: false, allowPrivateSources: false };

/** A resolver that knows a fixed table of names and records what it was asked. */
function fakeDns(table: Record<string, string[]>): LookupFunction & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { asked });
}

async function rejection(source: string, rules: SourceRules): Promise<FramewatchError> {
  try {
    await validateSource({ url: source }, rules);
  } catch (err) {
    return err as FramewatchError;
  }
  throw new Error(`${source} was accepted`);
}

describe('validateSource: schemes and option injection (S1)', () => {
  it.each([
    ['file:///etc/passwd', /"file:" scheme/],
    ['FILE:/etc/passwd', /"file:" scheme/],
    ['concat:a.mp4|b.mp4', /"concat:" scheme/],
    ['subfile,,start,0,end,0,,:/etc/passwd', /"subfile:" scheme/],
    ['data:video/mp4;base64,AAAA', /"data:" scheme/],
    ['pipe:0', /"pipe:" scheme/],
    ['ftp://x/clip.mp4', /"ftp:" scheme/],
    ['rtmp://x/live', /"rtmp:" scheme/],
    ['-i', /starts with "-"/],
    ['-filter_complex', /starts with "-"/],
    ['', /empty/],
    ['clip.mp4\nfile:/etc/passwd', /control characters/],
  ])('rejects %j with SOURCE_REJECTED even where local files are allowed', async (source, reason) => {
    const err = await rejection(source, cli);
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.message).toMatch(reason);
  });

  it('rejects a local path when local files are not allowed (the API)', async () => {
    const err = await rejection('/etc/passwd', api);
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.message).toMatch(/local files are not allowed/);
  });
});

describe('validateSource: destinations (S1, S3)', () => {
  it.each([
    ['http://127.0.0.1/clip.mp4', 'loopback'],
    ['http://127.8.9.10:8080/clip.mp4', 'loopback'],
    ['http://[::1]/clip.mp4', 'loopback'],
    ['http://[::ffff:127.0.0.1]/clip.mp4', 'loopback'],
    ['http://2130706433/clip.mp4', 'loopback'],
    ['http://0x7f.1/clip.mp4', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://10.1.2.3/clip.mp4', 'private'],
    ['http://172.31.0.1/clip.mp4', 'private'],
    ['http://192.168.1.1/clip.mp4', 'private'],
    ['http://[fd12:3456::1]/clip.mp4', 'private'],
    ['http://100.64.0.1/clip.mp4', 'carrier-grade NAT'],
    ['http://0.0.0.0/clip.mp4', 'unspecified'],
    ['http://[::]/clip.mp4', 'unspecified'],
  ])('rejects %s as a %s address', async (source, cls) => {
    const err = await rejection(source, api);
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.message).toContain(`a ${cls} address`);
  });

  it('rejects http://localhost/ through the system resolver', async () => {
    const err = await rejection('http://localhost/clip.mp4', api);
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.message).toMatch(/loopback address/);
  });

  it('rejects a public-looking hostname if any of its addresses is internal', async () => {
    const lookup = fakeDns({ 'media.example.com': ['93.184.216.34', '10.0.0.7'] });
    const err = await rejection('https://media.example.com/clip.mp4', { ...api, lookup });
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.message).toContain('10.0.0.7, a private address');
    expect(lookup.asked).toEqual(['media.example.com']);
  });

  it('accepts a public host and hands ffmpeg the normalised URL without fragment', async () => {
    const lookup = fakeDns({ 'media.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const src = await validateSource(
      { url: 'HTTPS://user:secret@Media.Example.com/a b/clip.mp4?token=abc#t=5' },
      { ...api, lookup },
    );
    expect(src).toEqual({
      kind: 'url',
      protocol: 'https:',
      hostname: 'media.example.com',
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
      ffmpegInput: 'https://user:secret@media.example.com/a%20b/clip.mp4?token=abc',
      display: 'https://media.example.com/a%20b/clip.mp4',
    });
  });

  it('accepts loopback when private sources are allowed (local testing)', async () => {
    const src = await validateSource('http://127.0.0.1:9/clip.mp4', { ...api, allowPrivateSources: true });
    expect(src).toMatchObject({ kind: 'url', addresses: ['127.0.0.1'] });
  });

  it('reports an unknown host as INPUT_NOT_FOUND', async () => {
    const err = await rejection('http://nowhere.invalid/clip.mp4', { ...api, lookup: fakeDns({}) });
    expect(err.code).toBe('INPUT_NOT_FOUND');
  });

  it('gives up on a resolver that never answers with SOURCE_TIMEOUT', async () => {
    const lookup: LookupFunction = () => new Promise(() => undefined);
    const started = Date.now();
    const err = await rejection('http://slow.example.com/', { ...api, lookup, lookupTimeoutSec: 0.2 });
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('validateSource: local files (S8)', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = tempDir('source');
    writeFileSync(tmp.file('clip.mp4'), 'not really media, but not empty');
    writeFileSync(tmp.file('empty.mp4'), '');
    mkdirSync(tmp.file('folder.mp4'));
  });
  afterAll(() => tmp.cleanup());

  it('accepts a non-empty regular file and prefixes it with file: for ffmpeg', async () => {
    const src = await validateSource(tmp.file('clip.mp4'), cli);
    expect(src).toMatchObject({ kind: 'file', path: tmp.file('clip.mp4'), ffmpegInput: `file:${tmp.file('clip.mp4')}` });
  });

  it.each([
    ['missing.mp4', 'INPUT_NOT_FOUND', /does not exist/],
    ['folder.mp4', 'INPUT_NOT_FOUND', /not a regular file/],
    ['empty.mp4', 'INPUT_EMPTY', /empty \(0 bytes\)/],
  ])('refuses %s with %s', async (name, code, message) => {
    const err = await rejection(tmp.file(name), cli);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('refuses a device such as /dev/zero, which would never end', async () => {
    const err = await rejection('/dev/zero', cli);
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toMatch(/not a regular file/);
  });
});

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', null],
    ['2001:4860:4860::8888', null],
    ['172.32.0.1', null],
    ['100.128.0.1', null],
    ['169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});
