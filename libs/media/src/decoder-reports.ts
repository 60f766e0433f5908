/**
 * Which lines of ffmpeg's log are the video decoder reporting damage in the bitstream it decodes
 * (`error while decoding MB 30 0, bytestream -7`, `Missing reference picture`, `top block
 * unavailable for requested intra mode`…, and at `info` the error concealment's `concealing 920
 * DC, 920 AC, 920 MV errors in P frame`), and which output frame each report belongs to. The
 * converter counts them per frame (`VideoFrame.decodeErrors`) and the macroblocking detector takes
 * them as a hint that the next frames may be damaged; the picture still has to show it
 * (libs/detectors, `DecoderReportGate`).
 *
 * A report is given to a frame by ffmpeg's own order, never by when Node happens to read which
 * pipe: the decode's filter graph ends in `showinfo`, which logs one line per frame (a marker) on
 * the same stderr as the decoder, and a report belongs to the first frame whose marker follows it
 * — the frame decoded from the damaged packet, or one a few frames before it (the decoder's
 * reorder delay), which the detector allows for. Frames are placed on the output timeline by
 * their timestamp, as `-fps_mode cfr` places them. Exact with one decoder thread (the default,
 * `decodeThreads: 1`): with more, the decoder logs from its worker threads, in no fixed order
 * with the markers.
 */
import type { Rational } from './timeline';

/** Log contexts of the video decoders whose reports count. */
const DECODERS = ['h264', 'hevc', 'mpeg2video', 'mpeg1video', 'mpeg4', 'h263', 'vp8', 'vp9', 'av1', 'libdav1d', 'mjpeg', 'vc1'];

// `[h264 @ 0x55d…] ` then, when the log prints levels (`-loglevel level+…`), a level that must be
// an error one. Without levels (`-loglevel error`) every decoder line is an error and counts.
const REPORT = new RegExp(`^\\[(?:${DECODERS.join('|')}) @ 0x[0-9a-f]+\\] (?!\\[(?:info|verbose|debug|trace|warning)\\])`);
// The error concealment's summary of a damaged frame, at `info`. It also comes for damage that no
// error line names: slices lost with their packets, found missing only when the frame ends.
const CONCEALING = new RegExp(`^\\[(?:${DECODERS.join('|')}) @ 0x[0-9a-f]+\\] (?:\\[info\\] )?concealing \\d+ DC, \\d+ AC, \\d+ MV errors`);

/** The filter, with its options, that marks each frame in the log (see `buildDecodeArgs`). */
export const FRAME_MARKER_FILTER = 'showinfo=checksum=0';

const SHOWINFO = String.raw`^\[Parsed_showinfo_\d+ @ 0x[0-9a-f]+\] \[info\] `;
// `config in time_base: 1/90000, frame_rate: 25/1`, once before the first frame.
const MARKER_TIME_BASE = new RegExp(`${SHOWINFO}config in time_base: (\\d+)/(\\d+)`);
// `n:  12 pts:  480 pts_time:0.48 …`: the integer pts, since pts_time has six significant digits.
const MARKER = new RegExp(`${SHOWINFO}n: *\\d+ pts: *(-?\\d+) `);

/**
 * True when `line` (one line of ffmpeg's stderr, without its newline) is a video decoder's error
 * report, or its error concealment's.
 *
 * @example
 * isDecoderReport('[h264 @ 0x5581c0] error while decoding MB 30 0, bytestream -7'); // true
 * isDecoderReport('[h264 @ 0x5581c0] [info] concealing 920 DC, 920 AC, 920 MV errors in P frame'); // true
 * isDecoderReport('[h264 @ 0x5581c0] [warning] mmco: unref short failure'); // false
 */
export function isDecoderReport(line: string): boolean {
  return REPORT.test(line) || CONCEALING.test(line);
}

/**
 * Gives the decoder's reports to output frames, from ffmpeg's stderr alone. `line()` takes each
 * line as it arrives and `end()` the end of the log; a frame's count is final once its index is
 * below {@link settledBefore}, and {@link take} then hands it out once. The converter holds each
 * frame it reads until then, so the count never depends on which pipe was read first.
 *
 * Reports heard before the first frame are dropped: a stream joined between keyframes makes the
 * decoder complain about the frames it discards while it waits for one, and shows nothing.
 *
 * @example
 * const ledger = new DecoderReportLedger({ num: 25, den: 1 });
 * for (const line of stderrLines) ledger.line(line);
 * ledger.end();
 * ledger.take(0); // the reports of output frame 0
 */
export class DecoderReportLedger {
  private timeBase: Rational = { num: 1, den: 1 };
  /** Output index of the first frame's timestamp: the output starts there (`-fps_mode cfr`). */
  private origin: number | null = null;
  /** Output frame the last marker was given; -1 before the first. */
  private lastFrame = -1;
  /** Frames below this index were handed out early (see {@link settleBefore}). */
  private forcedBefore = 0;
  private pending = 0;
  private ended = false;
  private readonly counts = new Map<number, number>();

  constructor(private readonly frameRate: Rational) {}

  /** One line of ffmpeg's stderr, in the order ffmpeg wrote them. */
  line(line: string): void {
    if (this.ended) return;
    if (isDecoderReport(line)) {
      if (this.origin !== null) this.pending++;
      return;
    }
    const time = MARKER_TIME_BASE.exec(line);
    if (time) {
      this.timeBase = { num: Number(time[1]), den: Number(time[2]) || 1 };
      return;
    }
    const marker = MARKER.exec(line);
    if (!marker) return;
    // Reports before the first marker are before the first frame: dropped (see the class).
    const slot = Math.round((Number(marker[1]) * this.timeBase.num * this.frameRate.num) / (this.timeBase.den * this.frameRate.den));
    if (this.origin === null) {
      this.origin = slot;
      this.pending = 0;
    }
    // Never back in time, and never to a frame already handed out.
    const frame = Math.max(slot - this.origin, this.lastFrame, this.forcedBefore);
    this.lastFrame = frame;
    if (this.pending > 0) this.counts.set(frame, (this.counts.get(frame) ?? 0) + this.pending);
    this.pending = 0;
  }

  /**
   * The log has ended: every frame is settled; reports after the last frame go to it (or to the
   * next one, when it was handed out early).
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const frame = Math.max(this.lastFrame, this.forcedBefore);
    // Reports pend only after the first marker, so `frame` is a frame.
    if (this.pending > 0) this.counts.set(frame, (this.counts.get(frame) ?? 0) + this.pending);
    this.pending = 0;
  }

  /**
   * Frames with a lower index have all their reports: a later marker names a later frame. The
   * frame of the last marker is not settled yet, since the next reports may still be its own.
   */
  get settledBefore(): number {
    return this.ended ? Infinity : Math.max(this.lastFrame, this.forcedBefore);
  }

  /**
   * Settles the frames below `index` without waiting for the log (a live stream gone quiet): a
   * report that would have gone to one of them goes to frame `index` instead.
   */
  settleBefore(index: number): void {
    this.forcedBefore = Math.max(this.forcedBefore, index);
  }

  /**
   * The reports of output frame `index`, handed out once (0 afterwards). Frames are taken in
   * order; reports given to an earlier frame that never came out (dropped by `-fps_mode cfr`) are
   * this frame's too.
   */
  take(index: number): number {
    let count = 0;
    for (const [frame, reports] of this.counts) {
      if (frame > index) continue;
      count += reports;
      this.counts.delete(frame);
    }
    return count;
  }
}

/**
 * Holds the frames read from ffmpeg's output until the ledger has settled their reports, then
 * hands each on in order with its count: `frame()` for each frame read, `release()` after each
 * log line, `releaseAll()` when a live stream goes quiet (see {@link DecoderReportLedger.settleBefore}).
 *
 * ffmpeg logs a frame's marker before it writes the frame, so only a frame or two wait at a time.
 * Should the markers never come (an ffmpeg that does not log them), more than `maxHeld` frames
 * waiting are handed on without them, so that memory stays bounded.
 */
export class ReportHold<F extends { index: number }> {
  private readonly held: F[] = [];

  constructor(
    private readonly ledger: DecoderReportLedger,
    private readonly emit: (frame: F, decodeErrors: number) => void,
    private readonly maxHeld = 50,
  ) {}

  /** Frames read but not handed on yet. */
  get size(): number {
    return this.held.length;
  }

  frame(frame: F): void {
    this.held.push(frame);
    this.release();
    if (this.held.length > this.maxHeld) this.releaseAll();
  }

  /** Hands on the frames the ledger has settled; true when it handed on any. */
  release(): boolean {
    let released = false;
    while (this.held.length > 0 && this.held[0].index < this.ledger.settledBefore) {
      const frame = this.held.shift() as F;
      this.emit(frame, this.ledger.take(frame.index));
      released = true;
    }
    return released;
  }

  /** Hands on every frame held now, without waiting for the log. */
  releaseAll(): boolean {
    if (this.held.length === 0) return false;
    this.ledger.settleBefore(this.held[this.held.length - 1].index + 1);
    return this.release();
  }
}
