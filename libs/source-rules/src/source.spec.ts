import type { FramewatchError } from '@framewatch/errors';
import { classifyAddress, displaySource, validateSource } from './source';
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

describe('validateSource: udp:// (a port Framewatch listens on)', () => {
  const udp: SourceRules = { ...api, allowUdpSources: true };

  it('refuses udp:// unless the rules allow listening sources (the API by default)', async () => {
    for (const rules of [api, cli]) {
      const err = await rejection('udp://@:5004', rules);
      expect(err.code).toBe('SOURCE_REJECTED');
      expect(err.detail).toMatchObject({ reason: 'listen' });
    }
  });

  it.each([
    ['udp://127.0.0.1:5004', { family: 'udp4', bindAddress: '127.0.0.1', port: 5004, group: null, display: 'udp://127.0.0.1:5004' }],
    ['udp://@:5004', { family: 'udp4', bindAddress: '0.0.0.0', port: 5004, group: null, display: 'udp://@:5004' }],
    ['UDP://:5004/', { bindAddress: '0.0.0.0', port: 5004 }],
    ['udp://239.1.2.3:5004', { bindAddress: '0.0.0.0', group: '239.1.2.3', localAddress: null, display: 'udp://239.1.2.3:5004' }],
    ['udp://@239.1.2.3:5004?localaddr=127.0.0.1&buffer_size=1048576', { group: '239.1.2.3', localAddress: '127.0.0.1', bufferSize: 1048576 }],
    ['udp://[::1]:5004', { family: 'udp6', bindAddress: '::1', group: null, display: 'udp://[::1]:5004' }],
    ['udp://[ff15::1]:5004', { family: 'udp6', bindAddress: '::', group: 'ff15::1' }],
  ])('reads %s', async (url, expected) => {
    // No DNS: the address is where to listen, never a name to resolve.
    const lookup = fakeDns({});
    expect(await validateSource(url, { ...udp, lookup })).toMatchObject({ kind: 'udp', ...expected });
    expect(lookup.asked).toEqual([]);
  });

  it.each([
    ['udp://localhost:5004', 'syntax'],
    ['udp://2130706433:5004', 'syntax'],
    ['udp://127.0.0.1', 'syntax'],
    ['udp://127.0.0.1:0', 'syntax'],
    ['udp://127.0.0.1:70000', 'syntax'],
    ['udp://127.0.0.1:5004/path', 'syntax'],
    ['udp://127.0.0.1:5004?localaddr=127.0.0.1', 'option'],
    ['udp://239.1.2.3:5004?localaddr=::1', 'option'],
    ['udp://@:5004?fifo_size=1000000', 'option'],
    ['udp://@:5004?buffer_size=1', 'option'],
    ['udp://@:5004?buffer_size=65536&buffer_size=65536', 'option'],
  ])('refuses %s (%s)', async (url, reason) => {
    const err = await rejection(url, udp);
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.detail).toMatchObject({ reason });
  });
});

describe('validateSource: srt:// (caller mode, checked like http)', () => {
  const lookup = fakeDns({ 'sender.example.com': ['93.184.216.34'], 'inside.example.com': ['10.0.0.9'] });

  it('connects ffmpeg to the checked address, never the name, and keeps options out of the URL', async () => {
    const src = await validateSource('SRT://Sender.Example.com:9000?latency=200000&streamid=%23!%3A%3Ar%3Dlive%2Cu%3Dme&passphrase=0123456789abc&pbkeylen=32', {
      ...api,
      lookup,
    });
    expect(src).toEqual({
      kind: 'srt',
      hostname: 'sender.example.com',
      port: 9000,
      addresses: ['93.184.216.34'],
      ffmpegInput: 'srt://93.184.216.34:9000',
      options: { latencyUs: 200000, streamId: '#!::r=live,u=me', passphrase: '0123456789abc', pbkeylen: 32 },
      display: 'srt://sender.example.com:9000',
    });
  });

  it('accepts mode=caller and an IPv6 literal', async () => {
    const src = await validateSource('srt://[2606:2800:220:1::1]:9000?mode=caller', api);
    expect(src).toMatchObject({ kind: 'srt', ffmpegInput: 'srt://[2606:2800:220:1::1]:9000', options: {} });
  });

  it.each([
    ['srt://127.0.0.1:9000', 'loopback'],
    ['srt://inside.example.com:9000', 'private'],
    ['srt://169.254.169.254:9000', 'link-local'],
  ])('refuses %s, a %s destination, unless private sources are allowed', async (url, cls) => {
    const err = await rejection(url, { ...api, lookup });
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.detail).toMatchObject({ reason: 'destination', addressClass: cls });
    await expect(validateSource(url, { ...api, lookup, allowPrivateSources: true })).resolves.toMatchObject({ kind: 'srt' });
  });

  it.each([
    ['srt://sender.example.com:9000?mode=listener', 'mode'],
    ['srt://sender.example.com:9000?mode=rendezvous', 'mode'],
    ['srt://sender.example.com:9000?listen_timeout=1', 'option'],
    ['srt://sender.example.com:9000?localport=9000', 'option'],
    ['srt://sender.example.com:9000?latency=-1', 'option'],
    ['srt://sender.example.com:9000?latency=1e3', 'option'],
    ['srt://sender.example.com:9000?passphrase=short', 'option'],
    ['srt://sender.example.com:9000?pbkeylen=16', 'option'],
    ['srt://sender.example.com:9000?streamid=a&streamid=b', 'option'],
    ['srt://sender.example.com:9000?streamid=a%00b', 'option'],
    ['srt://sender.example.com', 'syntax'],
    ['srt://sender.example.com:9000/path', 'syntax'],
    ['srt://me:pw@sender.example.com:9000', 'syntax'],
  ])('refuses %s (%s) before any DNS lookup', async (url, reason) => {
    const counted = fakeDns({ 'sender.example.com': ['93.184.216.34'] });
    const err = await rejection(url, { ...api, lookup: counted });
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(err.detail).toMatchObject({ reason });
    expect(counted.asked).toEqual([]);
  });

  it('never quotes a refused secret in the message', async () => {
    const err = await rejection('srt://sender.example.com:9000?passphrase=tooShort1&streamid=hunter2-secret', { ...api, lookup });
    expect(err.message).not.toMatch(/tooShort1|hunter2/);
    const mode = await rejection('srt://sender.example.com:9000?streamid=hunter2-secret&mode=listener', { ...api, lookup });
    expect(mode.message).not.toMatch(/hunter2/);
  });
});

describe('displaySource', () => {
  it.each([
    ['srt://sender.example.com:9000?streamid=secret&passphrase=0123456789', 'srt://sender.example.com:9000'],
    ['https://user:pw@cdn.example.com/live/index.m3u8?token=abc#x', 'https://cdn.example.com/live/index.m3u8'],
    ['udp://@:5004', 'udp://@:5004'],
    ['udp://@239.1.2.3:5004?localaddr=10.0.0.1', 'udp://@239.1.2.3:5004'],
    ['clips/a?b.mp4', 'clips/a?b.mp4'],
  ])('shows %s as %s', (raw, shown) => {
    expect(displaySource(raw)).toBe(shown);
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
