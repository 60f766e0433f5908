/**
 * Test support (not exported from the package): small media generated with ffmpeg's lavfi
 * sources at test start, and /proc helpers that observe the ffmpeg children a test caused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The binaries the integration tests run (Debian's ffmpeg 5.1). */
export const FFMPEG = '/usr/bin/ffmpeg';
/** See {@link FFMPEG}. */
export const FFPROBE = '/usr/bin/ffprobe';

/** A temporary directory removed by `cleanup`. */
export interface TempDir {
  dir: string;
  file(name: string): string;
  cleanup(): void;
}

/** Creates a fresh temporary directory. */
export function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), `framewatch-${prefix}-`));
  return {
    dir,
    file: (name) => path.join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs ffmpeg synchronously with quiet, non-interactive flags. */
export function ffmpeg(args: string[]): void {
  execFileSync(FFMPEG, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });
}

/** What {@link makeClip} generates. */
export interface ClipSpec {
  durationSec: number;
  video?: { width: number; height: number; rate: string };
  audio?: { sampleRate: number; channels: number };
  /** Put the mp4 index first (`-movflags +faststart`). Default false: moov at the end. */
  faststart?: boolean;
}

/** Generates an H.264/AAC clip from testsrc2 and a 440 Hz sine. */
export function makeClip(file: string, spec: ClipSpec): string {
  const args: string[] = [];
  if (spec.video) {
    const { width, height, rate } = spec.video;
    args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${rate}`);
  }
  if (spec.audio) {
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${spec.audio.sampleRate}`);
  }
  args.push('-t', String(spec.durationSec));
  if (spec.video) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25');
  if (spec.audio) args.push('-c:a', 'aac', '-ac', String(spec.audio.channels));
  if (spec.faststart) args.push('-movflags', '+faststart');
  ffmpeg([...args, file]);
  return file;
}

/** Writes the first `bytes` bytes of `from` to `to` (a file cut short in transfer). */
export function truncateCopy(from: string, to: string, bytes: number): string {
  writeFileSync(to, readFileSync(from).subarray(0, bytes));
  return to;
}

/**
 * An AAC-in-mp4 file relabelled as MPEG-H 3D Audio (`mhm1`), a real broadcast codec that
 * ffmpeg 5.1 knows by name but cannot decode. The `esds` box is renamed too, since it would
 * otherwise reset the codec to AAC.
 */
export function makeUndecodableAudio(dir: TempDir): string {
  const aac = makeClip(dir.file('aac-for-mhm1.m4a'), { durationSec: 1, audio: { sampleRate: 48000, channels: 2 } });
  const bytes = readFileSync(aac);
  const entry = bytes.indexOf('mp4a');
  const esds = bytes.indexOf('esds');
  if (entry < 0 || esds < 0) throw new Error('unexpected mp4 layout');
  bytes.write('mhm1', entry, 'latin1');
  bytes.write('zzzz', esds, 'latin1');
  const out = dir.file('mpegh.mp4');
  writeFileSync(out, bytes);
  return out;
}

/** Pids of live child processes of `parentPid` whose command name is `name`. */
export function childPids(name: string, parentPid = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state, fields[1] the parent pid; zombies count as not reaped, so keep them.
    if (comm === name && Number(fields[1]) === parentPid) pids.push(Number(entry));
  }
  return pids;
}

/** True while a process with this pid exists (a zombie that was never reaped still exists). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Bytes a process has written so far (`wchar` of /proc/<pid>/io), or -1 when it is gone. */
export function bytesWritten(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/wchar:\s*(\d+)/.exec(io)?.[1] ?? -1);
  } catch {
    return -1;
  }
}

/** Waits until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}
