import { DecoderReportLedger, ReportHold, isDecoderReport } from './decoder-reports';

describe('isDecoderReport', () => {
  it.each([
    '[h264 @ 0x5581c0a1b2c0] error while decoding MB 30 0, bytestream -7',
    '[h264 @ 0x5581c0a1b2c0] Missing reference picture, default is 0',
    '[hevc @ 0x55d] Could not find ref with POC 12',
    '[h264 @ 0x5581c0a1b2c0] [error] top block unavailable for requested intra mode -1',
    '[h264 @ 0x5581c0a1b2c0] [info] concealing 920 DC, 920 AC, 920 MV errors in P frame',
    '[mpeg2video @ 0x55d] concealing 40 DC, 40 AC, 40 MV errors in B frame',
  ])('counts the decoder line %j', (line) => {
    expect(isDecoderReport(line)).toBe(true);
  });

  it.each([
    '[h264 @ 0x5581c0a1b2c0] [info] Reinit context to 640x368, pix_fmt: yuv420p',
    '[h264 @ 0x5581c0a1b2c0] [warning] mmco: unref short failure',
    '[mpegts @ 0x5581c0a1b2c0] Packet corrupt (stream = 0, dts = 1234)',
    '[Parsed_metadata_1 @ 0x55] [info] frame:3 pts:120 pts_time:0.12',
    '    Last message repeated 3 times',
    'error while decoding MB 30 0, bytestream -7',
    '',
  ])('does not count %j', (line) => {
    expect(isDecoderReport(line)).toBe(false);
  });
});

const TIME_BASE = '[Parsed_showinfo_3 @ 0x55d3750237c0] [info] config in time_base: 1/1000, frame_rate: 25/1';
/** showinfo's line for a frame at `ms` milliseconds (time base 1/1000). */
const marker = (n: number, ms: number): string =>
  `[Parsed_showinfo_3 @ 0x55d3750237c0] [info] n:${String(n).padStart(4)} pts:${String(ms).padStart(7)} pts_time:${ms / 1000}    pos: 599 fmt:gray sar:1/1 s:320x180 i:P iskey:0 type:P `;
const REPORT = '[h264 @ 0x55d37502a000] [error] error while decoding MB 3 4, bytestream -5';

/** Reports per output frame of `frames` frames, from a whole log. */
function countsOf(lines: readonly string[], frames: number): number[] {
  const ledger = new DecoderReportLedger({ num: 25, den: 1 });
  for (const line of lines) ledger.line(line);
  ledger.end();
  return Array.from({ length: frames }, (_, i) => ledger.take(i));
}

describe('DecoderReportLedger', () => {
  it('gives the reports to the first frame whose marker follows them', () => {
    const log = [TIME_BASE, marker(0, 0), marker(1, 40), REPORT, REPORT, '[h264 @ 0x1] [info] Reinit context to 320x192, pix_fmt: yuv420p', marker(2, 80), marker(3, 120), REPORT, marker(4, 160)];
    expect(countsOf(log, 5)).toEqual([0, 0, 2, 0, 1]);
  });

  it('drops the reports before the first frame (a stream joined between keyframes)', () => {
    expect(countsOf([REPORT, REPORT, TIME_BASE, REPORT, marker(0, 0), marker(1, 40)], 2)).toEqual([0, 0]);
  });

  it('places frames by timestamp, as -fps_mode cfr does: a gap is filled by repeats, the output starts at the first frame', () => {
    // First frame at 1 s (output 0); the frame at 1.2 s is output 5 after four repeats.
    const log = [TIME_BASE, marker(0, 1000), marker(1, 1040), REPORT, marker(2, 1200), REPORT, marker(3, 1240)];
    expect(countsOf(log, 7)).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it('gives reports after the last frame to the last frame, and never goes back in time', () => {
    const log = [TIME_BASE, marker(0, 0), marker(1, 40), REPORT, marker(2, 0), marker(3, 80), REPORT];
    expect(countsOf(log, 3)).toEqual([0, 1, 1]);
  });

  it('reads the time base of the filter, not milliseconds', () => {
    const log = [TIME_BASE.replace('1/1000', '1/90000'), marker(0, 0), REPORT, marker(1, 3600), REPORT, marker(2, 7200)];
    expect(countsOf(log, 3)).toEqual([0, 1, 1]);
  });

  it('settles a frame once a later frame is marked, and every frame at the end of the log', () => {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    expect(ledger.settledBefore).toBe(0);
    ledger.line(TIME_BASE);
    ledger.line(marker(0, 0));
    expect(ledger.settledBefore).toBe(0);
    ledger.line(marker(1, 40));
    expect(ledger.settledBefore).toBe(1);
    ledger.end();
    expect(ledger.settledBefore).toBe(Infinity);
  });

  it('gives a report meant for a frame already settled early to the next frame', () => {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    for (const line of [TIME_BASE, marker(0, 0), marker(1, 40)]) ledger.line(line);
    ledger.settleBefore(2);
    ledger.line(REPORT);
    ledger.line(marker(2, 80));
    ledger.end();
    expect([0, 1, 2].map((i) => ledger.take(i))).toEqual([0, 0, 1]);
  });

  it('hands a count out once, with those of earlier frames that never came out', () => {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    for (const line of [TIME_BASE, marker(0, 0), REPORT, marker(1, 40), REPORT, marker(2, 80)]) ledger.line(line);
    ledger.end();
    expect(ledger.take(2)).toBe(2);
    expect(ledger.take(2)).toBe(0);
  });
});

describe('ReportHold', () => {
  const LOG = [TIME_BASE, marker(0, 0), REPORT, marker(1, 40), marker(2, 80), REPORT, REPORT, marker(3, 120), marker(4, 160), REPORT, marker(5, 200)];
  const FRAMES = 6;

  /**
   * Runs the log and the frames through a hold in one interleaving: `order[k]` true reads the
   * next log line, false the next frame. ffmpeg writes a frame's marker before the frame, but the
   * two pipes may be read in any order.
   */
  function run(order: readonly boolean[]): { index: number; decodeErrors: number }[] {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    const out: { index: number; decodeErrors: number }[] = [];
    const hold = new ReportHold<{ index: number }>(ledger, (frame, decodeErrors) => out.push({ index: frame.index, decodeErrors }));
    let line = 0;
    let frame = 0;
    for (const readLog of order) {
      if (readLog && line < LOG.length) {
        ledger.line(LOG[line++]);
        hold.release();
      } else if (frame < FRAMES) {
        hold.frame({ index: frame++ });
      }
    }
    while (line < LOG.length) ledger.line(LOG[line++]);
    while (frame < FRAMES) hold.frame({ index: frame++ });
    ledger.end();
    hold.release();
    return out;
  }

  it('gives every frame the same count whichever pipe is read first', () => {
    const expected = run(new Array(LOG.length).fill(true));
    expect(expected.map((f) => f.decodeErrors)).toEqual([0, 1, 0, 2, 0, 1]);
    // Every frame first, every log line first, and 200 seeded random interleavings.
    expect(run(new Array(FRAMES).fill(false))).toEqual(expected);
    let seed = 7;
    for (let trial = 0; trial < 200; trial++) {
      const order = Array.from({ length: LOG.length + FRAMES }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % 2 === 0;
      });
      expect(run(order)).toEqual(expected);
    }
  });

  it('hands frames on without their markers once more than maxHeld wait, so memory stays bounded', () => {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    const out: number[] = [];
    const hold = new ReportHold<{ index: number }>(ledger, (frame) => out.push(frame.index), 3);
    for (let i = 0; i < 3; i++) hold.frame({ index: i });
    expect(out).toEqual([]);
    hold.frame({ index: 3 });
    expect(out).toEqual([0, 1, 2, 3]);
    expect(hold.size).toBe(0);
  });

  it('holds a frame until the log has passed it, and hands everything on when asked', () => {
    const ledger = new DecoderReportLedger({ num: 25, den: 1 });
    const out: number[] = [];
    const hold = new ReportHold<{ index: number }>(ledger, (frame) => out.push(frame.index));
    hold.frame({ index: 0 });
    hold.frame({ index: 1 });
    expect(out).toEqual([]);
    for (const line of [TIME_BASE, marker(0, 0), marker(1, 40)]) ledger.line(line);
    expect(hold.release()).toBe(true);
    expect(out).toEqual([0]);
    expect(hold.size).toBe(1);
    expect(hold.releaseAll()).toBe(true);
    expect(out).toEqual([0, 1]);
    expect(hold.releaseAll()).toBe(false);
  });
});
