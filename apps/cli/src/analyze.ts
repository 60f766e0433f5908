import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { FramewatchConfig } from '@framewatch/config';
import { ExitCode } from '@framewatch/errors';
import { openDetector } from '@framewatch/detectors/onnx';
import { createMediaConverter, mediaOptionsFromConfig } from '@framewatch/media';
import type { Logger } from '@framewatch/observability';
import { createAggregator, formatTimecode, renderReportHtml, runAnalysis, summarizeDefects } from '@framewatch/pipeline';
import type { AnalysisResult, DefectEvent } from '@framewatch/pipeline';
import { displaySource } from '@framewatch/source-rules';

/** Options of `framewatch analyze`, as parsed from the command line. */
export interface AnalyzeOptions {
  json: boolean;
  out: string;
  detectors?: string[];
  failOnDefect: boolean;
}

/** Where the command writes; injected so tests can capture it. */
export interface Terminal {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** A job id that sorts by creation time: `an-` + base-36 milliseconds + random. */
export function newAnalysisId(): string {
  return `an-${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * `framewatch analyze`: composes every component in this process, shows progress on a terminal,
 * writes report.json and report.html, prints a summary (or only the report with --json).
 * Returns the process exit code.
 */
export async function analyzeCommand(
  source: string,
  options: AnalyzeOptions,
  deps: { config: FramewatchConfig; log: Logger; term: Terminal; signal: AbortSignal },
): Promise<number> {
  const { config, log, term } = deps;
  // The CLI runs on the user's own machine: local files and listening on a UDP port are theirs to ask for.
  const converter = createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, allowUdpSources: true, logger: log });
  // Query strings and credentials (tokens, SRT stream ids and passphrases) stay out of logs and reports.
  const shown = displaySource(source);
  const detector = await openDetector({ detectors: options.detectors, macroblockingModel: config.macroblockingModel });
  const interactive = !options.json && term.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  // A live stream (no duration) has no progress bar: each defect is printed as it opens and closes.
  let streaming = false;
  const announce = (verb: string, event: DefectEvent): void => {
    const line = `${verb} ${event.type} at ${formatTimecode(event.startSec)}`;
    if (bar) bar.update({ last: line });
    if (streaming) term.stderr.write(`${new Date().toISOString()} ${line}${verb.includes('closed') ? ` (${(event.endSec - event.startSec).toFixed(2)} s)` : ''}\n`);
    log.info({ event }, line);
  };
  const aggregator = createAggregator({
    listener: {
      onDefectOpened: (_id, e) => announce('defect opened:', e),
      onDefectClosed: (_id, e) => announce('defect closed:', e),
    },
  });

  const id = newAnalysisId();
  log.info({ id, source: shown }, 'analysis started');
  let result: AnalysisResult;
  try {
    result = await runAnalysis(
      { converter, detectors: [detector], aggregator },
      {
        id,
        source: { url: source },
        sourceLabel: /^[a-z][a-z0-9+.-]*:/i.test(source) ? shown : path.basename(source),
        framesPerBatch: config.framesPerBatch,
        // Ctrl-C ends the analysis cleanly (a live stream runs until then) with what was seen.
        stopSignal: deps.signal,
        onMedia: (media) => {
          streaming = media.durationSec === null;
          if (streaming) {
            term.stderr.write(`watching ${shown} (no end known: Ctrl-C stops and writes the report)\n`);
            return;
          }
          if (!interactive) return;
          bar = new SingleBar(
            {
              stream: term.stderr,
              format: ' {bar} {percentage}% | {value}/{total} s media | {last}',
              hideCursor: true,
              clearOnComplete: true,
              barsize: 30,
            },
            undefined,
          );
          bar.start(Math.max(1, Math.round(media.durationSec ?? 0)), 0, { last: '' });
        },
        onProgress: (p) => bar?.update(Math.round(p.mediaSec)),
        onDegraded: ({ degraded, behindSec, skippedSegments }) => {
          const skipped = skippedSegments > 0 ? `, ${skippedSegments} segment(s) skipped so far` : '';
          const line = degraded ? `cannot keep up with real time: ${behindSec} s behind${skipped} (degraded)` : `caught up with real time (${behindSec} s behind${skipped})`;
          term.stderr.write(`${new Date().toISOString()} ${line}\n`);
          log.warn({ degraded, behindSec, skippedSegments }, line);
        },
      },
    );
  } finally {
    (bar as SingleBar | null)?.stop();
  }

  await mkdir(options.out, { recursive: true });
  const reportPath = path.join(options.out, 'report.json');
  await writeFile(reportPath, JSON.stringify(result, null, 2) + '\n');
  await writeFile(path.join(options.out, 'report.html'), renderReportHtml(result));
  log.info({ id, defects: result.defects.length, wallSec: result.stats.wallSec }, 'analysis finished');

  if (options.json) {
    term.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    term.stdout.write(summaryText(result, reportPath));
  }
  if (result.status === 'cancelled') return ExitCode.INTERRUPTED;
  return options.failOnDefect && result.defects.length > 0 ? 1 : 0;
}

/** The human summary: media line, a table of defects, totals per type and where the report is. */
export function summaryText(result: AnalysisResult, reportPath: string): string {
  const v = result.media.video;
  const a = result.media.audio;
  const lines = [
    `${result.source}: ${formatTimecode(result.media.durationSec ?? 0)}, ` +
      `${v ? `${v.codec} ${v.width}x${v.height} ${v.fps} fps` : 'no video'}, ${a ? `${a.codec} ${a.sampleRate} Hz` : 'no audio'}; ` +
      `analysed in ${result.stats.wallSec} s (${result.stats.speed}x real time)`,
  ];
  if (result.defects.length === 0) {
    lines.push('No defects found.');
  } else {
    const table = new Table({ head: ['#', 'type', 'start', 'end', 'duration', 'confidence'], style: { head: [], border: [] } });
    result.defects.forEach((d, i) =>
      table.push([i + 1, d.type, formatTimecode(d.startSec), formatTimecode(d.endSec), `${(d.endSec - d.startSec).toFixed(2)} s`, d.confidence.toFixed(2)]),
    );
    lines.push(table.toString());
    lines.push(
      'Totals: ' + summarizeDefects(result.defects).map((s) => `${s.type} ×${s.count} (${s.totalSec.toFixed(2)} s)`).join(', '),
    );
  }
  lines.push(`Report: ${reportPath}`);
  return lines.join('\n') + '\n';
}
