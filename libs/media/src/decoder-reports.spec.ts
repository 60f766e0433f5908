import { DecoderReportCounter, isDecoderReport } from './decoder-reports';

describe('isDecoderReport', () => {
  it.each([
    '[h264 @ 0x5581c0a1b2c0] error while decoding MB 30 0, bytestream -7',
    '[h264 @ 0x5581c0a1b2c0] Missing reference picture, default is 0',
    '[hevc @ 0x55d] Could not find ref with POC 12',
    '[h264 @ 0x5581c0a1b2c0] [error] top block unavailable for requested intra mode -1',
  ])('counts the decoder line %j', (line) => {
    expect(isDecoderReport(line)).toBe(true);
  });

  it.each([
    '[h264 @ 0x5581c0a1b2c0] [info] concealing 920 DC, 920 AC, 920 MV errors in P frame',
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

describe('DecoderReportCounter', () => {
  it('gives the reports since the last take to the next frame, then starts again', () => {
    const counter = new DecoderReportCounter();
    counter.line('[h264 @ 0x1] error while decoding MB 1 2, bytestream 5');
    counter.line('[mpegts @ 0x2] Packet corrupt');
    counter.line('[h264 @ 0x1] Missing reference picture, default is 0');
    expect(counter.take()).toBe(2);
    expect(counter.take()).toBe(0);
  });
});
