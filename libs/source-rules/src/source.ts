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

/** A source that passed {@link validateSource}; the only kind the converter hands to ffmpeg. */
export type ValidatedSource = ValidatedFileSource | ValidatedUrlSource;

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

/** Schemes ffmpeg would otherwise interpret; only http and https are ever accepted. */
const allowedSchemes = ['http:', 'https:'] as const;

// ffmpeg treats `name:` (and `subfile,,opts,:`) as a protocol prefix, so anything shaped like that
// is a URL to us, never a local path.
const schemePrefix = /^([A-Za-z][A-Za-z0-9+.\-,]*):/;

const defaultLookupTimeoutSec = 10;

/**
 * Checks a source against the input rules before anything is spawned, and returns what ffmpeg
 * may be given. Local paths (only with `allowLocalFiles`) must name a non-empty regular file;
 * URLs must be `http:` or `https:` and every address their host resolves to must be public
 * (unless `allowPrivateSources`). Everything else (`file:`, `concat:`, `subfile,…:`, `data:`,
 * `pipe:`, other schemes, values starting with `-`) is refused.
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
  if (scheme) return validateUrl(raw, scheme[1].split(',')[0].toLowerCase(), rules);
  return validateLocalFile(raw, rules);
}

async function validateUrl(raw: string, scheme: string, rules: SourceRules): Promise<ValidatedUrlSource> {
  if (!(allowedSchemes as readonly string[]).includes(`${scheme}:`)) {
    throw new SourceRejectedError(`the "${scheme}:" scheme is not allowed; use an http(s) URL`, {
      detail: { reason: 'scheme', scheme },
    });
  }
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
  return { kind: 'url', protocol, hostname, addresses, ffmpegInput: url.href, display };
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
