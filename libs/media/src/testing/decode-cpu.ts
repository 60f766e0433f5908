/**
 * Measures the CPU of one full decode (Node plus every ffmpeg/ffprobe child) so it can be set
 * against `ffmpeg -i clip -f null -`. Not part of the test suite; run it bundled:
 *
 *   npx esbuild libs/media/src/testing/decode-cpu.ts --bundle --platform=node \
 *     --tsconfig=tsconfig.base.json --outfile=/tmp/decode-cpu.js
 *   node /tmp/decode-cpu.js clip.mp4 [width height [deblocked|reports]]
 *
 * `deblocked` asks for deblocked luma; `reports` for that and the decoder's error reports
 * (`decoderReports`, as the macroblocking detector does), which add a log line per frame to place
 * them by.
 *
 * Children's CPU comes from /proc/self/stat (cutime + cstime of reaped children), Node's own from
 * process.cpuUsage(), so the figure covers all processes of the decode.
 */
import { readFileSync } from 'node:fs';
import { createMediaConverter } from '../converter';
import { FFMPEG, FFPROBE } from './fixtures';

const clockTicksPerSec = 100;

function reapedChildrenCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), counted from the state field (3) here.
  return (Number(fields[13]) + Number(fields[14])) / clockTicksPerSec;
}

async function main(): Promise<void> {
  const [file, width = '320', height = '180', extra] = process.argv.slice(2);
  if (!file) throw new Error('usage: decode-cpu <file> [width height [deblocked|reports]]');
  const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowLocalFiles: true });
  const started = performance.now();
  let frames = 0;
  let chunks = 0;
  let checksum = 0;
  let decodeErrors = 0;
  const spec = {
    video: { width: Number(width), height: Number(height), deblocked: extra === 'deblocked' || extra === 'reports', decoderReports: extra === 'reports' },
    audio: { sampleRate: 48000, channels: 1 },
    framesPerBatch: 25,
  };
  for await (const batch of converter.decode({ url: file }, spec, { streamId: 'bench' })) {
    frames += batch.video.length;
    chunks += batch.audio.length;
    // Touch the data so a lazy path could not look faster than it is.
    for (const f of batch.video) {
      checksum += f.planes[0][f.planes[0].length >> 1];
      decodeErrors += f.decodeErrors ?? 0;
    }
  }
  const node = process.cpuUsage();
  const nodeSec = (node.user + node.system) / 1e6;
  const childrenSec = reapedChildrenCpuSec();
  process.stdout.write(
    `${JSON.stringify({
      frames,
      chunks,
      checksum,
      decodeErrors,
      wallSec: +((performance.now() - started) / 1000).toFixed(2),
      nodeCpuSec: +nodeSec.toFixed(2),
      childrenCpuSec: +childrenSec.toFixed(2),
      totalCpuSec: +(nodeSec + childrenSec).toFixed(2),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
