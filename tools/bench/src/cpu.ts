import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU (user+sys) and wall time of one command, children and grandchildren included. */
export interface Measurement {
  cpuSec: number;
  wallSec: number;
}

/** Clock ticks per second used by /proc (USER_HZ, 100 on Linux). */
const userHz = 100;

/**
 * CPU seconds of every child this process has waited for, from /proc/self/stat (cutime+cstime).
 * A child's own reaped children are counted in it, so a measured command's whole process tree
 * (e.g. the CLI and its ffmpeg processes) is included once the command has exited.
 */
function childCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: fields[0] is state (field 3), so cutime (16) and cstime (17) are 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / userHz;
}

/** Runs a command to completion and measures it; throws if it exits non-zero. */
export async function measure(command: string, args: string[]): Promise<Measurement> {
  const before = childCpuSec();
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`))));
  });
  return { cpuSec: childCpuSec() - before, wallSec: (performance.now() - started) / 1000 };
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
