/**
 * Reading a process tree's CPU and memory from Linux /proc, for the topology benchmark. The
 * parsers are pure (they take the file text) so they can be tested without a running process.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** Clock ticks per second used by /proc (USER_HZ, 100 on Linux). */
const userHz = 100;

/** The fields of /proc/<pid>/stat the benchmark uses. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in seconds: the process and every child it has reaped. */
  cpuSec: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const fields = text.slice(close + 2).trim().split(' ');
  // fields[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return { pid, ppid: Number(fields[1]), cpuSec: ticks / userHz };
}

/** A `VmXXX:   123 kB` value of /proc/<pid>/status in bytes, or null when the line is absent. */
export function parseStatusBytes(text: string, field: 'VmHWM' | 'VmRSS'): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** Reads one process's stat; null when it has exited in the meantime. */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** One memory field of a live process in bytes; null when it has exited (or is a zombie). */
export function readMemory(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    return parseStatusBytes(readFileSync(`/proc/${pid}/status`, 'utf8'), field);
  } catch {
    return null;
  }
}

/**
 * Every live descendant of `root` (not `root` itself), found by scanning /proc/*\/stat for
 * parent links: /proc/<pid>/task/<tid>/children needs a kernel option not every kernel has.
 */
export function descendants(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.push(stat);
  }
  const found: ProcStat[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop() as number;
    for (const stat of all) {
      if (stat.ppid === parent) {
        found.push(stat);
        frontier.push(stat.pid);
      }
    }
  }
  return found;
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS by writing `5` to clear_refs (Linux
 * ≥ 4.0). Returns false when the kernel or permissions refuse, so the caller can fall back to
 * sampling VmRSS.
 */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The command line of a process, arguments joined by spaces; '' when it has exited. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
