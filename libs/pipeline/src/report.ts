import type { AnalysisResult, DefectEvent } from './contracts';

const colours: Record<string, string> = {
  black: '#222',
  freeze: '#3b82f6',
  silence: '#a855f7',
  clipping: '#ef4444',
  macroblocking: '#f59e0b',
  loudness: '#10b981',
  signal_loss: '#6b7280',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Formats media seconds as `m:ss.sss`. */
export function formatTimecode(sec: number): string {
  const m = Math.floor(sec / 60);
  const s = sec - m * 60;
  return `${m}:${s.toFixed(3).padStart(6, '0')}`;
}

/** Defects counted and timed per type, in a stable order. */
export function summarizeDefects(defects: DefectEvent[]): { type: string; count: number; totalSec: number }[] {
  const byType = new Map<string, { count: number; totalSec: number }>();
  for (const d of defects) {
    const row = byType.get(d.type) ?? { count: 0, totalSec: 0 };
    row.count += 1;
    row.totalSec += d.endSec - d.startSec;
    byType.set(d.type, row);
  }
  return [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, row]) => ({ type, count: row.count, totalSec: Math.round(row.totalSec * 1000) / 1000 }));
}

/**
 * Renders a report as one self-contained HTML page: a timeline lane per defect type and a table.
 * Every string from the report is escaped, since a source name can contain anything.
 *
 * @example
 * await writeFile('report.html', renderReportHtml(result));
 */
export function renderReportHtml(result: AnalysisResult): string {
  const duration = Math.max(result.media.durationSec ?? 0, ...result.defects.map((d) => d.endSec), 0.001);
  const types = [...new Set(result.defects.map((d) => d.type))].sort();
  const width = 1000;
  const lane = 26;
  const lanes = types
    .map((type, i) => {
      const y = i * lane;
      const bars = result.defects
        .filter((d) => d.type === type)
        .map((d) => {
          const x = (d.startSec / duration) * width;
          const w = Math.max(2, ((d.endSec - d.startSec) / duration) * width);
          return `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${lane - 8}" fill="${colours[type] ?? '#999'}"><title>${escapeHtml(
            `${type} ${formatTimecode(d.startSec)}–${formatTimecode(d.endSec)}`,
          )}</title></rect>`;
        })
        .join('');
      return `<text x="-8" y="${y + lane / 2 + 4}" text-anchor="end">${escapeHtml(type)}</text><line x1="0" x2="${width}" y1="${y + lane / 2}" y2="${y + lane / 2}" stroke="#ddd"/>${bars}`;
    })
    .join('');
  const rows = result.defects
    .map(
      (d) =>
        `<tr><td>${escapeHtml(d.type)}</td><td>${formatTimecode(d.startSec)}</td><td>${formatTimecode(d.endSec)}</td><td>${(d.endSec - d.startSec).toFixed(3)} s</td><td>${d.confidence.toFixed(2)}</td></tr>`,
    )
    .join('');
  const v = result.media.video;
  const a = result.media.audio;
  const height = Math.max(1, types.length) * lane + 24;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Framewatch report ${escapeHtml(result.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left}svg text{font-size:12px}</style>
</head><body>
<h1>Framewatch report</h1>
<p><b>${escapeHtml(result.source)}</b> — ${escapeHtml(result.status)}, ${result.defects.length} defect(s)</p>
<p>${v ? `video ${escapeHtml(v.codec)} ${v.width}×${v.height} @ ${v.fps} fps` : 'no video'}; ${a ? `audio ${escapeHtml(a.codec)} ${a.sampleRate} Hz ×${a.channels}` : 'no audio'}; duration ${formatTimecode(result.media.durationSec ?? 0)}</p>
<svg viewBox="-110 -4 ${width + 120} ${height}" width="100%" role="img" aria-label="defect timeline">${lanes}<text x="0" y="${height - 6}">0:00</text><text x="${width}" y="${height - 6}" text-anchor="end">${formatTimecode(duration)}</text></svg>
<table><thead><tr><th>type</th><th>start</th><th>end</th><th>duration</th><th>confidence</th></tr></thead><tbody>${rows || '<tr><td colspan="5">no defects</td></tr>'}</tbody></table>
<p><small>report schema v${result.schemaVersion}, id ${escapeHtml(result.id)}, analysed in ${result.stats.wallSec} s (${result.stats.speed}× real time)</small></p>
</body></html>
`;
}
