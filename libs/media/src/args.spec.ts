import { DEFAULT_ALLOWED_FORMATS, buildDecodeArgs, buildProbeArgs, buildSrtReaderArgs, redactArgs } from './args';
import type { DecodeArgsPlan, FfmpegLimits } from './args';
import type { ValidatedFileSource, ValidatedSrtSource, ValidatedUrlSource } from '@framewatch/source-rules';

const limits: FfmpegLimits = {
  ioTimeoutSec: 15,
  maxDurationSec: 21600,
  probeSizeBytes: 5_000_000,
  analyzeDurationSec: 5,
  allowedFormats: DEFAULT_ALLOWED_FORMATS,
};

const sources: Record<string, ValidatedFileSource | ValidatedUrlSource> = {
  file: { kind: 'file', path: '/media/clip.mp4', sizeBytes: 1, mtimeMs: 0, ffmpegInput: 'file:/media/clip.mp4', display: 'clip.mp4' },
  http: {
    kind: 'url',
    protocol: 'http:',
    hostname: 'cdn.example.com',
    addresses: ['93.184.216.34'],
    ffmpegInput: 'http://cdn.example.com/clip.mp4',
    display: 'http://cdn.example.com/clip.mp4',
  },
  https: {
    kind: 'url',
    protocol: 'https:',
    hostname: 'cdn.example.com',
    addresses: ['93.184.216.34'],
    ffmpegInput: 'https://cdn.example.com/clip.mp4',
    display: 'https://cdn.example.com/clip.mp4',
  },
};

const video = { streamIndex: 0, width: 320, height: 180, fps: { num: 25, den: 1 }, extractLuma: true, deblocked: false, decoderReports: false };
const audio: DecodeArgsPlan['audio'] = { streamIndex: 1, sampleRate: 48000, channels: 1 };
const plans: Record<string, DecodeArgsPlan> = {
  'video+audio': { video, audio },
  'video only, RGB source': { video: { ...video, extractLuma: false }, audio: null },
  'video with decoder reports': { video: { ...video, width: 640, height: 360, deblocked: true, decoderReports: true }, audio: null },
  'audio only': { video: null, audio },
};

const allArgv: Array<[string, string[]]> = [];
for (const [sourceName, source] of Object.entries(sources)) {
  allArgv.push([`probe ${sourceName}`, buildProbeArgs(source, limits)]);
  for (const [planName, plan] of Object.entries(plans)) {
    allArgv.push([`decode ${sourceName} ${planName}`, buildDecodeArgs(source, plan, limits)]);
  }
}

function valueOf(argv: string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at < 0 ? undefined : argv[at + 1];
}

describe('ffmpeg/ffprobe argv (S5)', () => {
  it('skips deblocking only for reduced, non-exact luma', () => {
    const reduced = buildDecodeArgs(sources.file, plans['video+audio'], limits);
    expect(valueOf(reduced, '-skip_loop_filter')).toBe('all');
    expect(reduced.indexOf('-skip_loop_filter')).toBeLessThan(reduced.indexOf('-i'));
    expect(buildDecodeArgs(sources.file, { video: { ...video, deblocked: true }, audio: null }, limits)).not.toContain('-skip_loop_filter');
    expect(buildDecodeArgs(sources.file, plans['audio only'], limits)).not.toContain('-skip_loop_filter');
  });

  it('sets the decoder thread count on the input when configured, and never on probes', () => {
    const argv = buildDecodeArgs(sources.file, plans['video+audio'], { ...limits, decodeThreads: 1 });
    expect(valueOf(argv, '-threads')).toBe('1');
    expect(argv.indexOf('-threads')).toBeLessThan(argv.indexOf('-i'));
    expect(buildProbeArgs(sources.file, { ...limits, decodeThreads: 1 })).not.toContain('-threads');
    expect(buildDecodeArgs(sources.file, plans['video+audio'], limits)).not.toContain('-threads');
  });

  it.each(allArgv)('%s matches its snapshot', (_name, argv) => {
    expect(argv).toMatchSnapshot();
  });

  it.each(allArgv)('%s carries the protocol whitelist, demuxer whitelist and probe caps', (name, argv) => {
    const source = sources[name.split(' ')[1]];
    expect(valueOf(argv, '-protocol_whitelist')).toBe(
      source.kind === 'file' ? 'file' : source.protocol === 'https:' ? 'https,tls,tcp' : 'http,tcp',
    );
    expect(valueOf(argv, '-format_whitelist')).not.toMatch(/\b(hls|concat|dash|image2|tty|lavfi)\b/);
    expect(valueOf(argv, '-probesize')).toBe('5000000');
    expect(valueOf(argv, '-analyzeduration')).toBe('5000000');
    expect(argv).not.toContain('-safe');
    // Input options come before the input they apply to.
    expect(argv.indexOf('-protocol_whitelist')).toBeLessThan(argv.indexOf('-i'));
    expect(valueOf(argv, '-i')).toBe(source.ffmpegInput);
  });

  it.each(allArgv)('%s has -rw_timeout exactly for network sources, and TLS verification for https', (name, argv) => {
    const kind = name.split(' ')[1];
    expect(valueOf(argv, '-rw_timeout')).toBe(kind === 'file' ? undefined : '15000000');
    expect(valueOf(argv, '-tls_verify')).toBe(kind === 'https' ? '1' : undefined);
  });

  it.each(allArgv.filter(([name]) => name.startsWith('decode')))('%s is non-interactive, logs with levels and is capped', (name, argv) => {
    // The decoder's reports need frame markers (showinfo) at info; the converter keeps only the error lines.
    const loglevel = name.endsWith('decoder reports') ? 'repeat+level+info' : 'repeat+level+error';
    expect(argv.slice(0, 5)).toEqual(['-nostdin', '-hide_banner', '-nostats', '-loglevel', loglevel]);
    const outputs = argv.filter((a) => a.startsWith('pipe:'));
    expect(argv.filter((a) => a === '-t')).toHaveLength(outputs.length);
    expect(valueOf(argv, '-t')).toBe('21600');
  });

  it('decodes reduced luma without colour conversion and on a constant-rate timeline', () => {
    const argv = buildDecodeArgs(sources.file, plans['video+audio'], limits);
    expect(valueOf(argv, '-vf')).toBe('extractplanes=y,scale=320:180:flags=fast_bilinear');
    expect(valueOf(argv, '-fps_mode')).toBe('cfr');
    expect(valueOf(argv, '-r')).toBe('25/1');
    expect(argv.slice(-1)).toEqual(['pipe:3']);
    expect(argv).toContain('pipe:1');
  });

  it('marks every frame in the log (showinfo, last in the graph) only when the decoder reports are asked for', () => {
    const argv = buildDecodeArgs(sources.file, plans['video with decoder reports'], limits);
    expect(valueOf(argv, '-vf')).toBe('extractplanes=y,scale=640:360:flags=fast_bilinear,showinfo=checksum=0');
    expect(valueOf(argv, '-loglevel')).toBe('repeat+level+info');
    expect(buildDecodeArgs(sources.file, plans['video+audio'], limits).join(' ')).not.toContain('showinfo');
  });

  it('passes a CA bundle for https when one is configured', () => {
    const argv = buildProbeArgs(sources.https, { ...limits, tlsCaFile: '/etc/framewatch/ca.pem' });
    expect(valueOf(argv, '-ca_file')).toBe('/etc/framewatch/ca.pem');
  });

  it('reads an HLS stream from stdin only: pipe protocol, mpegts demuxer, no network options, no cap when live', () => {
    const live = { kind: 'pipe', format: 'mpegts', live: true, display: 'http://cdn.example.com/live.m3u8' } as const;
    const argv = buildDecodeArgs(live, plans['video+audio'], limits);
    expect(valueOf(argv, '-protocol_whitelist')).toBe('pipe');
    expect(argv.join(' ')).toContain('-f mpegts -i pipe:0');
    expect(argv).toContain('-nostdin');
    expect(argv).not.toContain('-rw_timeout');
    expect(argv).not.toContain('-t');
    expect(argv.some((a) => a.includes('cdn.example.com'))).toBe(false);
    // A VOD playlist keeps the media-time cap of any other source.
    expect(valueOf(buildDecodeArgs({ ...live, live: false }, plans['video+audio'], limits), '-t')).toBe('21600');
    expect(valueOf(buildProbeArgs(live, limits), '-protocol_whitelist')).toBe('pipe');
    // A live stream is analysed for 1 s before decoding starts, not the 5 s of a file.
    expect(valueOf(argv, '-analyzeduration')).toBe('1000000');
    expect(valueOf(buildDecodeArgs({ ...live, live: false }, plans['video+audio'], limits), '-analyzeduration')).toBe(String(limits.analyzeDurationSec * 1e6));
    // Time jumps in a piped stream (skipped segments, a restarted encoder) are joined up, not filled.
    expect(valueOf(argv, '-dts_delta_threshold')).toBe('1');
    expect(argv.indexOf('-dts_delta_threshold')).toBeLessThan(argv.indexOf('-i'));
    expect(buildDecodeArgs(sources.file, plans['video+audio'], limits)).not.toContain('-dts_delta_threshold');
  });

  describe('the SRT reader (a caller that only remuxes to stdout)', () => {
    const srt: ValidatedSrtSource = {
      kind: 'srt',
      hostname: 'sender.example.com',
      port: 9000,
      addresses: ['93.184.216.34'],
      ffmpegInput: 'srt://93.184.216.34:9000',
      options: { latencyUs: 120000, streamId: '#!::u=me,t=secret', passphrase: 'hunter2hunter2', pbkeylen: 16 },
      display: 'srt://sender.example.com:9000',
    };
    const argv = buildSrtReaderArgs(srt, limits, 4);

    it('is non-interactive, whitelists srt and mpegts only, and caps probing and idle reads', () => {
      expect(argv.slice(0, 5)).toEqual(['-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error']);
      expect(valueOf(argv, '-protocol_whitelist')).toBe('srt');
      expect(valueOf(argv, '-format_whitelist')).toBe('mpegts');
      expect(valueOf(argv, '-probesize')).toBe('5000000');
      expect(valueOf(argv, '-rw_timeout')).toBe('4000000');
      expect(argv).not.toContain('-safe');
      for (const flag of ['-protocol_whitelist', '-rw_timeout', '-mode', '-srt_streamid', '-passphrase', '-latency']) {
        expect(argv.indexOf(flag)).toBeLessThan(argv.indexOf('-i'));
      }
    });

    it('connects as a caller to the checked address, with the options as separate arguments', () => {
      expect(valueOf(argv, '-mode')).toBe('caller');
      expect(valueOf(argv, '-i')).toBe('srt://93.184.216.34:9000');
      expect(argv.some((a) => a.includes('sender.example.com'))).toBe(false);
      expect(valueOf(argv, '-latency')).toBe('120000');
      expect(valueOf(argv, '-srt_streamid')).toBe('#!::u=me,t=secret');
      expect(valueOf(argv, '-pbkeylen')).toBe('16');
      expect(argv.slice(-9)).toEqual(['-map', '0:a?', '-c', 'copy', '-flush_packets', '1', '-f', 'mpegts', 'pipe:1']);
      expect(valueOf(argv, '-analyzeduration')).toBe('1000000');
    });

    it('leaves out options that were not given', () => {
      const bare = buildSrtReaderArgs({ ...srt, options: {} }, limits, 4);
      expect(bare).not.toContain('-srt_streamid');
      expect(bare).not.toContain('-passphrase');
      expect(bare).not.toContain('-latency');
    });

    it('redacts the stream id and passphrase for logs', () => {
      const shown = redactArgs(argv).join(' ');
      expect(shown).not.toMatch(/secret|hunter2/);
      expect(shown).toContain('-passphrase [redacted]');
      expect(shown).toContain('-i srt://93.184.216.34:9000');
    });
  });
});
