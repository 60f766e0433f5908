/**
 * The input rules of DESIGN.md "Rules for untrusted input" (RELIABILITY S1, S3, S5, S8): every
 * source is checked here, in Node, before ffmpeg or ffprobe is spawned, because ffmpeg's own
 * `-protocol_whitelist` filters schemes but not destinations.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, SourceRejectedError, SourceTimeoutError } from '@framewatch/errors';

/** One resolved address, as `dns.promises.lookup(host, { all: true })` returns it. */
export interface LookupAddress {
  address: string;
  family: number;
}

/**
 * Resolves a hostname to all its addresses. Same shape as `dns.promises.lookup` with
 * `{ all: true }`; injectable so tests can make any name resolve anywhere.
 */
export type LookupFunction = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

/** What {@link validateSource} allows. */
export interface SourceRules {
  /** Accept local paths (the CLI does; the HTTP API must not). */
  allowLocalFiles: boolean;
  /** Accept URLs whose host resolves to loopback, private, link-local, CGNAT or other internal addresses. */
  allowPrivateSources: boolean;
  /**
   * Accept `udp://` sources, which make Framewatch bind a port (and join a multicast group) on
   * the machine it runs on. The CLI does; the HTTP API only where the deployment says so.
   * Default false.
   */
  allowUdpSources?: boolean;
  /** DNS lookup; defaults to the system resolver. */
  lookup?: LookupFunction;
  /** Give up resolving a hostname after this many seconds (SOURCE_TIMEOUT). Default 10. */
  lookupTimeoutSec?: number;
}

/** A local file that passed the rules. */
export interface ValidatedFileSource {
  kind: 'file';
  /** Absolute path. */
  path: string;
  sizeBytes: number;
  /** Last modification time (ms since the epoch), so a probe of a replaced file is never reused. */
  mtimeMs: number;
  /** What ffmpeg is given: `file:` plus the absolute path, so no prefix is read as a protocol. */
  ffmpegInput: string;
  /** How the source is named in messages and logs. */
  display: string;
}

/** An http(s) URL that passed the rules. */
export interface ValidatedUrlSource {
  kind: 'url';
  protocol: 'http:' | 'https:';
  hostname: string;
  /** Every address the hostname resolved to at validation time. */
  addresses: readonly string[];
  /** The WHATWG-normalised URL without fragment: ffmpeg parses exactly what was checked. */
  ffmpegInput: string;
  /** Origin and path only: credentials and query strings (often tokens) never reach messages. */
  display: string;
}

/**
 * A `udp://` MPEG-TS input that passed the rules. Framewatch receives the datagrams itself
 * (`node:dgram`); ffmpeg never sees the URL.
 */
export interface ValidatedUdpSource {
  kind: 'udp';
  /** Socket type: `udp6` for an IPv6 address, `udp4` otherwise. */
  family: 'udp4' | 'udp6';
  /** Address the socket binds: a local unicast address, or the wildcard (`@:port`, multicast). */
  bindAddress: string;
  port: number;
  /** Multicast group joined after binding, or null for unicast. */
  group: string | null;
  /** Interface address of the multicast join (`?localaddr=`), or null for the system's choice. */
  localAddress: string | null;
  /** Socket receive buffer in bytes (`?buffer_size=`), or null for Framewatch's default. */
  bufferSize: number | null;
  /** `udp://address:port` (`udp://@:port` for every interface). */
  display: string;
}

/** The SRT options a caller may set in the URL query; anything else is refused. */
export interface SrtCallerOptions {
  /** Receiver latency, microseconds (ffmpeg's `latency`, as in its own SRT URLs). */
  latencyUs?: number;
  /** Stream id sent to the listener (it may carry a secret: never shown). */
  streamId?: string;
  /** Encryption passphrase, 10–79 characters (never shown). */
  passphrase?: string;
  /** Key length in bytes with a passphrase: 16, 24 or 32. */
  pbkeylen?: 16 | 24 | 32;
}

/** An `srt://` URL in caller mode that passed the rules, as http(s) URLs do. */
export interface ValidatedSrtSource {
  kind: 'srt';
  hostname: string;
  port: number;
  /** Every address the hostname resolved to at validation time. */
  addresses: readonly string[];
  /**
   * What ffmpeg connects to: `srt://<checked address>:<port>`, never the hostname, so DNS cannot
   * answer differently between the check and the connection. No query: options go separately.
   */
  ffmpegInput: string;
  options: SrtCallerOptions;
  /** `srt://host:port`: the query (stream id, passphrase) never reaches messages. */
  display: string;
}

/** A live MPEG-TS source Framewatch reads itself and pipes to the decoder. */
export type ValidatedLiveSource = ValidatedUdpSource | ValidatedSrtSource;

/** A source that passed {@link validateSource}. */
export type ValidatedSource = ValidatedFileSource | ValidatedUrlSource | ValidatedLiveSource;

/** Address classes refused unless `allowPrivateSources`; the key names the class in messages. */
const blockedRanges = {
  unspecified: [
    ['0.0.0.0', 8, 'ipv4'],
    ['::', 128, 'ipv6'],
  ],
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
  // 169.254.169.254 is the cloud metadata endpoint (AWS, GCP, Azure): the classic SSRF target.
  'link-local': [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  'carrier-grade NAT': [['100.64.0.0', 10, 'ipv4']],
  // Reserved, benchmarking, multicast and broadcast ranges never host a legitimate media source;
  // deprecated site-local IPv6 still routes internally on some networks. NAT64 and 6to4 prefixes
  // embed an IPv4 address and could reach an internal one.
  reserved: [
    ['192.0.0.0', 24, 'ipv4'],
    ['198.18.0.0', 15, 'ipv4'],
    ['224.0.0.0', 4, 'ipv4'],
    ['240.0.0.0', 4, 'ipv4'],
    ['fec0::', 10, 'ipv6'],
    ['ff00::', 8, 'ipv6'],
    ['64:ff9b::', 96, 'ipv6'],
    ['64:ff9b:1::', 48, 'ipv6'],
    ['2002::', 16, 'ipv6'],
  ],
} as const;

/** Names of the address classes {@link classifyAddress} reports. */
export type AddressClass = keyof typeof blockedRanges;

// Built once: BlockLists are immutable after construction and hold no per-request state.
const blockLists = Object.entries(blockedRanges).map(([name, ranges]) => {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return { name: name as AddressClass, list };
});

/**
 * Names the internal address class of an IP address (`loopback`, `private`, `link-local`,
 * `unspecified`, `carrier-grade NAT`, `reserved`), or returns null for a public address.
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are classified by their IPv4 address.
 *
 * @example
 * classifyAddress('169.254.169.254'); // 'link-local'
 * classifyAddress('93.184.216.34');   // null
 */
export function classifyAddress(address: string): AddressClass | null {
  const version = isIP(address);
  if (version === 0) return 'reserved';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  for (const { name, list } of blockLists) {
    if (list.check(address, family)) return name;
  }
  return null;
}

/** Schemes ffmpeg would otherwise interpret; only these are ever accepted. */
const allowedSchemes = ['http:', 'https:', 'srt:', 'udp:'] as const;

// Multicast ranges: a udp:// address in one of them is a group to join, not an address to bind.
const multicast = new BlockList();
multicast.addSubnet('224.0.0.0', 4, 'ipv4');
multicast.addSubnet('ff00::', 8, 'ipv6');

/** Limits of the live-source URL options. */
const LIVE_LIMITS = {
  /** `udp://@host:port` with an optional `/` and query; the host is an IP literal or empty. */
  udpUrl: /^udp:\/\/@?(\[[0-9A-Fa-f:.]+\]|[0-9.]*):(\d{1,5})\/?(?:\?(.*))?$/i,
  udpBufferBytes: { min: 64 * 1024, max: 64 * 1024 * 1024 },
  srtMaxLatencyUs: 60_000_000,
  srtMaxStreamIdChars: 512,
  srtPassphraseChars: { min: 10, max: 79 },
} as const;

// ffmpeg treats `name:` (and `subfile,,opts,:`) as a protocol prefix, so anything shaped like that
// is a URL to us, never a local path.
const schemePrefix = /^([A-Za-z][A-Za-z0-9+.\-,]*):/;

const defaultLookupTimeoutSec = 10;

/**
 * Checks a source against the input rules before anything is spawned, and returns what ffmpeg
 * (or Framewatch's own reader) may be given. Local paths (only with `allowLocalFiles`) must name
 * a non-empty regular file; `http:`, `https:` and `srt:` (caller mode, allow-listed options)
 * URLs must have every address their host resolves to public (unless `allowPrivateSources`);
 * `udp:` sources (a port to listen on) need `allowUdpSources`. Everything else (`file:`,
 * `concat:`, `subfile,…:`, `data:`, `pipe:`, other schemes, values starting with `-`) is refused.
 *
 * @throws SourceRejectedError (SOURCE_REJECTED) when a rule refuses the source.
 * @throws InputError INPUT_NOT_FOUND (missing, unreadable, not a regular file, unresolvable host)
 *   or INPUT_EMPTY (0-byte file).
 * @throws SourceTimeoutError when DNS resolution takes longer than `lookupTimeoutSec`.
 *
 * @example
 * const src = await validateSource({ url: 'https://cdn.example.com/clip.mp4' },
 *   { allowLocalFiles: false, allowPrivateSources: false });
 * src.ffmpegInput; // 'https://cdn.example.com/clip.mp4'
 */
export async function validateSource(source: { url: string } | string, rules: SourceRules): Promise<ValidatedSource> {
  const raw = typeof source === 'string' ? source : source?.url;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new SourceRejectedError('source is empty');
  }
  // Control characters have no place in a path or URL and could split log lines or arguments.
  if ([...raw].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw new SourceRejectedError('source contains control characters');
  }
  if (raw.startsWith('-')) {
    throw new SourceRejectedError(`source "${truncate(raw)}" starts with "-" and would be read as an ffmpeg option`);
  }
  const scheme = schemePrefix.exec(raw);
  if (!scheme) return validateLocalFile(raw, rules);
  const name = scheme[1].split(',')[0].toLowerCase();
  if (!(allowedSchemes as readonly string[]).includes(`${name}:`)) {
    throw new SourceRejectedError(`the "${name}:" scheme is not allowed; use an http(s), srt or udp URL`, {
      detail: { reason: 'scheme', scheme: name },
    });
  }
  if (name === 'udp') return validateUdp(raw, rules);
  if (name === 'srt') return validateSrt(raw, rules);
  return validateUrl(raw, rules);
}

async function validateUrl(raw: string, rules: SourceRules): Promise<ValidatedUrlSource> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new SourceRejectedError('source is not a valid URL', { cause, detail: { reason: 'syntax' } });
  }
  const protocol = url.protocol as 'http:' | 'https:';
  url.hash = '';
  const display = `${url.origin}${url.pathname}`;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') throw new SourceRejectedError(`${display} has no host`, { detail: { reason: 'syntax' } });

  const addresses = await checkDestination(hostname, display, rules);
  return { kind: 'url', protocol, hostname, addresses, ffmpegInput: url.href, display };
}

/** Resolves a host (unless it is an IP literal) and refuses internal addresses unless allowed. */
async function checkDestination(hostname: string, display: string, rules: SourceRules): Promise<string[]> {
  const addresses = isIP(hostname) ? [hostname] : await resolveAll(hostname, display, rules);
  if (!rules.allowPrivateSources) {
    for (const address of addresses) {
      const cls = classifyAddress(address);
      if (cls !== null) {
        throw new SourceRejectedError(`${display} resolves to ${address}, a ${cls} address, which is not allowed`, {
          detail: { reason: 'destination', addressClass: cls },
        });
      }
    }
  }
  return addresses;
}

/**
 * `udp://[@][address]:port[?localaddr=IP&buffer_size=N]`: an IP literal or nothing (every
 * interface); a multicast address is a group joined on the wildcard address. Hostnames are
 * refused: the address names where Framewatch listens, not a server to resolve.
 */
function validateUdp(raw: string, rules: SourceRules): ValidatedUdpSource {
  if (rules.allowUdpSources !== true) {
    throw new SourceRejectedError('udp:// sources make this service listen on a network port and are not allowed here', {
      detail: { reason: 'listen' },
    });
  }
  const match = LIVE_LIMITS.udpUrl.exec(raw.split('#')[0] ?? '');
  if (!match) {
    throw new SourceRejectedError('a udp:// source must be udp://ADDRESS:PORT or udp://@:PORT with an IP address (no hostname, no path)', {
      detail: { reason: 'syntax' },
    });
  }
  const [, hostPart = '', portText = '', query] = match;
  const host = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
  const port = Number(portText);
  const version = host === '' ? 4 : isIP(host);
  if (version === 0) throw new SourceRejectedError(`"${truncate(host)}" is not an IP address`, { detail: { reason: 'syntax' } });
  if (!(port >= 1 && port <= 65535)) {
    throw new SourceRejectedError('a udp:// port must be between 1 and 65535', { detail: { reason: 'syntax' } });
  }
  const family = version === 6 ? 'udp6' : 'udp4';
  const wildcard = version === 6 ? '::' : '0.0.0.0';
  const isGroup = host !== '' && multicast.check(host, version === 6 ? 'ipv6' : 'ipv4');
  const display = `udp://${host === '' ? '@' : hostPart}:${port}`;

  let localAddress: string | null = null;
  let bufferSize: number | null = null;
  for (const [key, value] of queryEntries(query ?? '', display)) {
    if (key === 'localaddr') {
      if (!isGroup) throw optionRefused(display, key, 'only applies to a multicast group');
      if (isIP(value) !== version) throw optionRefused(display, key, `must be an IPv${version} address`);
      localAddress = value;
    } else if (key === 'buffer_size') {
      const bytes = Number(value);
      const { min, max } = LIVE_LIMITS.udpBufferBytes;
      if (!Number.isInteger(bytes) || bytes < min || bytes > max) {
        throw optionRefused(display, key, `must be an integer between ${min} and ${max}`);
      }
      bufferSize = bytes;
    } else {
      throw optionRefused(display, key, 'is not supported (allowed: localaddr, buffer_size)');
    }
  }
  return {
    kind: 'udp',
    family,
    bindAddress: isGroup || host === '' ? wildcard : host,
    port,
    group: isGroup ? host : null,
    localAddress,
    bufferSize,
    display,
  };
}

/**
 * `srt://host:port[?mode=caller&latency=µs&streamid=…&passphrase=…&pbkeylen=16|24|32]`: caller
 * mode only (Framewatch connects to the sender), the host checked as an http(s) host is, and a
 * short allow-list of options: a listener or rendezvous mode, or any other libsrt option, is
 * refused rather than passed to ffmpeg.
 */
async function validateSrt(raw: string, rules: SourceRules): Promise<ValidatedSrtSource> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new SourceRejectedError('source is not a valid srt:// URL', { cause, detail: { reason: 'syntax' } });
  }
  // srt: is not a WHATWG special scheme, so the host is kept as written: lower-case it here.
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const display = `srt://${host}`;
  if (url.username !== '' || url.password !== '') {
    throw new SourceRejectedError(`${display} must not carry credentials; SRT takes a passphrase option`, { detail: { reason: 'syntax' } });
  }
  if (hostname === '') throw new SourceRejectedError('an srt:// source has no host', { detail: { reason: 'syntax' } });
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new SourceRejectedError(`${display} must not have a path`, { detail: { reason: 'syntax' } });
  }
  const port = Number(url.port);
  if (url.port === '' || !(port >= 1 && port <= 65535)) {
    throw new SourceRejectedError(`${display} needs a port between 1 and 65535`, { detail: { reason: 'syntax' } });
  }

  const options: SrtCallerOptions = {};
  for (const [key, value] of queryEntries(url.search.replace(/^\?/, ''), display)) {
    switch (key) {
      case 'mode':
        if (value !== 'caller') {
          throw optionRefused(display, key, 'must be "caller": Framewatch connects to the sender and never listens', 'mode');
        }
        break;
      case 'latency': {
        const us = Number(value);
        if (!/^\d+$/.test(value) || us > LIVE_LIMITS.srtMaxLatencyUs) {
          throw optionRefused(display, key, `must be 0–${LIVE_LIMITS.srtMaxLatencyUs} microseconds`);
        }
        options.latencyUs = us;
        break;
      }
      case 'streamid':
        if (value.length === 0 || value.length > LIVE_LIMITS.srtMaxStreamIdChars || hasControlChars(value)) {
          throw optionRefused(display, key, `must be 1–${LIVE_LIMITS.srtMaxStreamIdChars} printable characters`);
        }
        options.streamId = value;
        break;
      case 'passphrase': {
        const { min, max } = LIVE_LIMITS.srtPassphraseChars;
        if (value.length < min || value.length > max || hasControlChars(value)) {
          throw optionRefused(display, key, `must be ${min}–${max} printable characters`);
        }
        options.passphrase = value;
        break;
      }
      case 'pbkeylen':
        if (value !== '16' && value !== '24' && value !== '32') throw optionRefused(display, key, 'must be 16, 24 or 32');
        options.pbkeylen = Number(value) as 16 | 24 | 32;
        break;
      default:
        throw optionRefused(display, key, 'is not supported (allowed: mode=caller, latency, streamid, passphrase, pbkeylen)');
    }
  }
  if (options.pbkeylen !== undefined && options.passphrase === undefined) throw optionRefused(display, 'pbkeylen', 'needs a passphrase');

  const addresses = await checkDestination(hostname, display, rules);
  const address = addresses[0] as string;
  const target = isIP(address) === 6 ? `[${address}]` : address;
  return { kind: 'srt', hostname, port, addresses, ffmpegInput: `srt://${target}:${port}`, options, display };
}

/** The decoded `key=value` pairs of a query; a key given twice is refused (which one would win?). */
function queryEntries(query: string, display: string): [string, string][] {
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const [key, value] of new URLSearchParams(query)) {
    if (seen.has(key)) throw optionRefused(display, key, 'is given more than once');
    seen.add(key);
    entries.push([key, value]);
  }
  return entries;
}

/** The error for a refused URL option; its value is never quoted (it may be a secret). */
function optionRefused(display: string, key: string, why: string, reason = 'option'): SourceRejectedError {
  const shown = /^[A-Za-z0-9_-]{1,32}$/.test(key) ? key : truncate(encodeURIComponent(key));
  return new SourceRejectedError(`${display}: the "${shown}" option ${why}`, { detail: { reason, option: shown } });
}

function hasControlChars(text: string): boolean {
  return [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
}

/**
 * How a source given by a user may be shown in logs, messages and reports: a URL without
 * credentials, query or fragment (they often carry tokens, SRT stream ids and passphrases); a
 * local path as given. Synchronous and total, for places that must name a source that may not
 * even be valid.
 *
 * @example
 * displaySource('srt://sender.example:9000?streamid=#!::u=me,t=secret'); // 'srt://sender.example:9000'
 * displaySource('clips/a.mp4'); // 'clips/a.mp4'
 */
export function displaySource(raw: string): string {
  if (!schemePrefix.test(raw)) return raw;
  const end = raw.search(/[?#]/);
  const base = end === -1 ? raw : raw.slice(0, end);
  return base.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]+@/, '$1');
}

async function resolveAll(hostname: string, display: string, rules: SourceRules): Promise<string[]> {
  const lookup = rules.lookup ?? ((host: string) => dnsLookup(host, { all: true, verbatim: true }));
  const timeoutMs = (rules.lookupTimeoutSec ?? defaultLookupTimeoutSec) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceTimeoutError(`resolving the host of ${display} timed out`)), timeoutMs);
  });
  try {
    const found = await Promise.race([lookup(hostname, { all: true }), timeout]);
    const addresses = found.map((entry) => entry.address);
    if (addresses.length === 0) throw new Error('no addresses');
    return addresses;
  } catch (cause) {
    if (cause instanceof SourceTimeoutError) throw cause;
    throw new InputError('INPUT_NOT_FOUND', `the host of ${display} cannot be resolved`, { cause });
  } finally {
    clearTimeout(timer);
  }
}

async function validateLocalFile(raw: string, rules: SourceRules): Promise<ValidatedFileSource> {
  if (!rules.allowLocalFiles) {
    throw new SourceRejectedError('local files are not allowed here; use an http(s) URL', {
      detail: { reason: 'local-file' },
    });
  }
  const absolute = path.resolve(raw);
  let info;
  try {
    info = await stat(absolute);
  } catch (cause) {
    throw new InputError('INPUT_NOT_FOUND', `${raw} does not exist`, { cause });
  }
  // Directories, FIFOs and devices (/dev/zero, /dev/stdin) are refused: they are endless,
  // blocking or not media at all.
  if (!info.isFile()) {
    throw new InputError('INPUT_NOT_FOUND', `${raw} is not a regular file`);
  }
  if (info.size === 0) {
    throw new InputError('INPUT_EMPTY', `${raw} is empty (0 bytes)`);
  }
  try {
    await access(absolute, fsConstants.R_OK);
  } catch (cause) {
    throw new InputError('INPUT_NOT_FOUND', `${raw} cannot be read`, { cause });
  }
  return { kind: 'file', path: absolute, sizeBytes: info.size, mtimeMs: info.mtimeMs, ffmpegInput: `file:${absolute}`, display: raw };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
