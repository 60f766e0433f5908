import { classifyFfmpegFailure, errorLevelLine, redactUrls } from './errors';

// stderr lines as ffmpeg/ffprobe 5.1 prints them (captured on this toolchain).
const file = { display: 'clip.mp4', ffmpegInput: 'file:/data/clip.mp4' };
const url = { display: 'http://cdn.example.com/clip.mp4', ffmpegInput: 'http://cdn.example.com/clip.mp4?token=s3cret' };

describe('classifyFfmpegFailure', () => {
  it.each([
    [
      'a text file named .mp4',
      file,
      'probe',
      "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] Format mov,mp4,m4a,3gp,3g2,mj2 detected only with low score of 1, misdetection possible!\n[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] moov atom not found\nfile:/data/clip.mp4: Invalid data found when processing input\n",
      'INPUT_NOT_MEDIA',
    ],
    [
      'an mp4 cut before its moov atom',
      file,
      'probe',
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] moov atom not found\nfile:/data/clip.mp4: Invalid data found when processing input\n',
      'INPUT_TRUNCATED',
    ],
    ['garbage', file, 'probe', 'file:/data/clip.mp4: Invalid data found when processing input\n', 'INPUT_NOT_MEDIA'],
    ['a vanished file', file, 'probe', 'file:/data/clip.mp4: No such file or directory\n', 'INPUT_NOT_FOUND'],
    ['an http 404', url, 'probe', '[http @ 0x1] HTTP error 404 Not Found\nhttp://cdn.example.com/clip.mp4?token=s3cret: Server returned 404 Not Found\n', 'INPUT_NOT_FOUND'],
    ['an http 5xx', url, 'probe', 'http://x: Server returned 5XX Server Error reply\n', 'INPUT_NOT_FOUND'],
    ['a refused connection', url, 'probe', '[tcp @ 0x1] Connection to tcp://127.0.0.1:18099 failed: Connection refused\n', 'INPUT_NOT_FOUND'],
    ['a bad certificate', url, 'probe', '[tls @ 0x1] Peer certificate failed verification\nhttps://x: Input/output error\n', 'INPUT_NOT_FOUND'],
    ['an rw_timeout', url, 'probe', 'http://cdn.example.com/clip.mp4?token=s3cret: Connection timed out\n', 'SOURCE_TIMEOUT'],
    ['a protocol outside the whitelist', url, 'probe', "[https @ 0x1] Protocol 'file' not on whitelist 'http,tcp'!\n", 'SOURCE_REJECTED'],
    ['a demuxer outside the whitelist', url, 'probe', "[hls @ 0x1] Format not on whitelist 'mov,matroska'\n", 'INPUT_UNSUPPORTED'],
    ['a codec without decoder', file, 'decode', 'Decoder (codec mpegh_3d_audio) not found for input stream #0:0\n', 'INPUT_UNSUPPORTED'],
    [
      'an mp4 whose media data is cut',
      file,
      'decode',
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] stream 0, offset 0xcfc: partial file\nCannot determine format of input stream 0:0 after EOF\n',
      'INPUT_TRUNCATED',
    ],
    ['an unknown failure', file, 'decode', 'Something new went wrong\n', 'DECODE_FAILED'],
  ] as const)('classifies %s as %s', (_what, source, phase, stderr, code) => {
    const err = classifyFfmpegFailure(stderr, source, phase);
    expect(err.code).toBe(code);
    expect(err.message).toContain(source.display);
    expect(err.message).not.toMatch(/\n|ffmpeg version|s3cret|\bat \w/);
  });

  it('lets a decode that produced nothing default to INPUT_TRUNCATED', () => {
    expect(classifyFfmpegFailure('Error marking filters as finished\n', file, 'decode', 'INPUT_TRUNCATED').code).toBe(
      'INPUT_TRUNCATED',
    );
  });

  it('is not steered by words in the input name', () => {
    const sneaky = { display: 'moov atom not found.mp4', ffmpegInput: 'file:/x/moov atom not found.mp4' };
    const err = classifyFfmpegFailure('file:/x/moov atom not found.mp4: Invalid data found when processing input\n', sneaky, 'probe');
    expect(err.code).toBe('INPUT_NOT_MEDIA');
  });

  it('keeps the redacted stderr as the cause, for logs only', () => {
    const err = classifyFfmpegFailure('http://cdn.example.com/clip.mp4?token=s3cret: Connection timed out\n', url, 'probe');
    expect(String((err.cause as Error).message)).toBe('<input>: Connection timed out');
  });
});

describe('redactUrls', () => {
  it('drops credentials and query strings from URLs in log text', () => {
    expect(redactUrls('open https://u:p@h.example/a/b.mp4?sig=1&x=2 failed')).toBe('open https://h.example/a/b.mp4 failed');
  });

  it('drops SRT stream ids and passphrases, and keeps udp://@:port readable', () => {
    expect(redactUrls('open srt://h.example:9000?streamid=secret&passphrase=0123456789 failed')).toBe('open srt://h.example:9000 failed');
    expect(redactUrls('listening on udp://@:5004?localaddr=1.2.3.4')).toBe('listening on udp://@:5004');
  });
});

describe('classifyFfmpegFailure: the SRT reader', () => {
  it('names a failed SRT call without the address ffmpeg was given', () => {
    const srt = { display: 'srt://sender.example.com:9000', ffmpegInput: 'srt://192.0.2.10:9000' };
    const err = classifyFfmpegFailure('[srt @ 0x55] Connection to srt://192.0.2.10:9000 failed: Input/output error\nsrt://192.0.2.10:9000: Input/output error', srt, 'probe');
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toBe('srt://sender.example.com:9000 could not be read (the SRT connection failed)');
  });
});

describe('errorLevelLine', () => {
  it.each([
    ['[h264 @ 0x55d0a1] [error] no frame!', '[h264 @ 0x55d0a1] no frame!'],
    ['[error] Error while decoding stream #0:0: Invalid data found when processing input', 'Error while decoding stream #0:0: Invalid data found when processing input'],
    ['[tls @ 0x55d0a1] [fatal] Error in the pull function.', '[tls @ 0x55d0a1] Error in the pull function.'],
  ])('keeps %j as -loglevel error prints it', (line, kept) => {
    expect(errorLevelLine(line)).toBe(kept);
  });

  it.each([
    "[info] Input #0, mpegts, from 'https://cdn.example/live.ts?token=s3cr3t':",
    '[Parsed_showinfo_2 @ 0x55d0a1] [info] n:   0 pts:      0 pts_time:0',
    '[h264 @ 0x55d0a1] [warning] mmco: unref short failure',
    'no level at all',
  ])('drops %j', (line) => {
    expect(errorLevelLine(line)).toBeNull();
  });
});
