/**
 * Which lines of ffmpeg's log are the video decoder reporting damage in the bitstream it decodes
 * (`error while decoding MB 30 0, bytestream -7`, `Missing reference picture`, `top block
 * unavailable for requested intra mode`…). The converter counts them per frame
 * (`VideoFrame.decodeErrors`) and the macroblocking detector takes them as a hint that the next
 * frames may be damaged; the picture still has to show it (libs/detectors, `DecoderReportGate`).
 */

/** Log contexts of the video decoders whose reports count. */
const DECODERS = ['h264', 'hevc', 'mpeg2video', 'mpeg1video', 'mpeg4', 'h263', 'vp8', 'vp9', 'av1', 'libdav1d', 'mjpeg', 'vc1'];

// `[h264 @ 0x55d…] ` then, when the log prints levels (`-loglevel level+…`), a level that must be
// an error one. The converter logs at `error`, so its decoder lines carry no level and all count.
const REPORT = new RegExp(`^\\[(?:${DECODERS.join('|')}) @ 0x[0-9a-f]+\\] (?!\\[(?:info|verbose|debug|trace|warning)\\])`);

/**
 * True when `line` (one line of ffmpeg's stderr, without its newline) is a video decoder's error
 * report.
 *
 * @example
 * isDecoderReport('[h264 @ 0x5581c0] error while decoding MB 30 0, bytestream -7'); // true
 * isDecoderReport('[h264 @ 0x5581c0] [info] concealing 920 DC, 920 AC, 920 MV errors in P frame'); // false
 */
export function isDecoderReport(line: string): boolean {
  return REPORT.test(line);
}

/**
 * Counts decoder reports between frames: `line()` takes each stderr line as it arrives, `take()`
 * gives the count since the last `take()` (to the frame read next) and starts again from 0.
 */
export class DecoderReportCounter {
  private pending = 0;

  line(line: string): void {
    if (isDecoderReport(line)) this.pending++;
  }

  take(): number {
    const count = this.pending;
    this.pending = 0;
    return count;
  }
}
