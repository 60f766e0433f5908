import type { AnalysisResult } from './contracts';
import { formatTimecode, renderReportHtml, summarizeDefects } from './report';

const result: AnalysisResult = {
  schemaVersion: 1,
  id: 'an-1',
  source: 'clip<script>.mp4',
  status: 'succeeded',
  media: { durationSec: 20, video: { codec: 'h264', width: 640, height: 360, fps: 25 }, audio: null },
  stats: { videoFrames: 500, audioChunks: 0, wallSec: 1, speed: 20 },
  defects: [
    { type: 'black', startSec: 1, endSec: 3, confidence: 0.9, detail: {} },
    { type: 'black', startSec: 5, endSec: 5.5, confidence: 0.9, detail: {} },
    { type: 'freeze', startSec: 8, endSec: 10, confidence: 0.8, detail: {} },
  ],
};

describe('report rendering', () => {
  it('formats timecodes', () => {
    expect(formatTimecode(65.25)).toBe('1:05.250');
    expect(formatTimecode(0)).toBe('0:00.000');
  });

  it('summarises defects per type', () => {
    expect(summarizeDefects(result.defects)).toEqual([
      { type: 'black', count: 2, totalSec: 2.5 },
      { type: 'freeze', count: 1, totalSec: 2 },
    ]);
  });

  it('renders one timeline bar per defect and escapes the source name', () => {
    const html = renderReportHtml(result);
    expect(html.match(/<rect /g)).toHaveLength(3);
    expect(html).not.toContain('<script>');
    expect(html).toContain('clip&#60;script&#62;.mp4');
  });
});
