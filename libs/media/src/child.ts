/**
 * Spawning and reaping ffmpeg/ffprobe. Every child is started without a shell, with stdin closed,
 * keeps only a bounded tail of its stderr, and is always reaped: `terminate()` sends SIGTERM, then
 * SIGKILL after a short grace, and resolves only once the process has exited.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { CancelledError, FramewatchError } from '@framewatch/errors';

/** How a child ended. `spawnError` is set when it never started (binary missing, EACCES). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** A running ffmpeg or ffprobe. */
export interface ManagedChild {
  readonly process: ChildProcess;
  /** Resolves once the process has exited and been reaped (never rejects). */
  readonly exited: Promise<ChildExit>;
  /** The last few KiB of stderr, for error classification and logs. */
  stderrTail(): string;
  /** True once `terminate()` was called: an exit by signal is then ours, not a crash. */
  readonly terminating: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  terminate(graceMs?: number): Promise<ChildExit>;
}

// Enough for the final error lines of a corrupt-stream decode, which logs one line per bad slice.
const stderrTailBytes = 8 * 1024;
const defaultGraceMs = 1000;

/** Who reads a child's stderr line by line, beside its tail. */
export interface StderrReader {
  /** Each complete line (without its newline), as it arrives. */
  line(line: string): void;
  /** After the last line: the child closed its stderr. */
  end(): void;
  /**
   * What of a line `stderrTail()` keeps: the line itself, another text for it, or null for
   * nothing (a line that may name the input, in a verbose log). Every line as is, without.
   */
  tail?(line: string): string | null;
}

/**
 * Spawns `command` with `args` and no shell. `stdio` defaults to stdin closed, stdout and stderr
 * piped; stderr is always consumed so the child can never block on it, and `stderrReader`, when
 * given, hears each complete line of it as it arrives. Never throws: a child
 * that cannot start resolves `exited` with `spawnError` (see {@link spawnFailure}).
 */
export function spawnManaged(command: string, args: readonly string[], stdio?: StdioOptions, stderrReader?: StderrReader): ManagedChild {
  const child = spawn(command, args, {
    shell: false,
    windowsHide: true,
    stdio: stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  // Errors on our ends of the pipes (EPIPE, ECONNRESET while tearing down) carry no information
  // the exit status does not; without a listener they would crash the process.
  for (const stream of child.stdio) stream?.on('error', () => undefined);
  let tail = '';
  let partial = '';
  child.stderr?.setEncoding('utf8');
  const keep = (text: string): void => {
    tail += text;
    if (tail.length > 2 * stderrTailBytes) tail = tail.slice(-stderrTailBytes);
  };
  const hear = (raw: string): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    stderrReader?.line(line);
    if (!stderrReader?.tail) return;
    const kept = stderrReader.tail(line);
    if (kept !== null) keep(`${kept}\n`);
  };
  child.stderr?.on('data', (text: string) => {
    if (!stderrReader?.tail) keep(text);
    if (!stderrReader) return;
    const lines = (partial + text).split('\n');
    partial = (lines.pop() as string).slice(-stderrTailBytes);
    for (const line of lines) hear(line);
  });
  child.stderr?.once('end', () => {
    if (!stderrReader) return;
    if (partial !== '') hear(partial);
    partial = '';
    stderrReader.end();
  });
  let terminating = false;
  const exited = new Promise<ChildExit>((resolve) => {
    // `on`, not `once`: a failed kill() also emits 'error', and an unheard 'error' would throw.
    child.on('error', (spawnError) => {
      // 'error' without 'exit' means the process never ran; with a pid it is a kill failure and
      // 'exit' still follows.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let termination: Promise<ChildExit> | undefined;
  return {
    process: child,
    exited,
    stderrTail: () => (tail.length > stderrTailBytes ? tail.slice(-stderrTailBytes) : tail),
    get terminating() {
      return terminating;
    },
    terminate(graceMs = defaultGraceMs) {
      if (termination) return termination;
      terminating = true;
      termination = (async () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
        // A child blocked writing to a full pipe may not act on SIGTERM (ffmpeg restarts the
        // write); closing our ends turns that write into EPIPE.
        for (const stream of child.stdio) stream?.destroy();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return termination;
    },
  };
}

/** The error for a child that could not be started at all. */
export function spawnFailure(command: string, exit: ChildExit): FramewatchError {
  const reason = (exit.spawnError as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  return new FramewatchError('CONFIG_INVALID', `cannot run ${command} (${reason}); check the ffmpeg/ffprobe path`, {
    cause: exit.spawnError,
  });
}

/** Limits of {@link runCollected}. */
export interface RunCollectedOptions {
  /** Kill the child after this long (wall clock), ms. */
  deadlineMs: number;
  /** Error raised when the deadline fires. */
  onDeadline: () => FramewatchError;
  /** Kill the child and fail with CancelledError when aborted. */
  signal?: AbortSignal;
  /** Output larger than this is refused (ffprobe JSON of a hostile file). */
  maxStdoutBytes: number;
  /** Bytes written to the child's stdin (then closed); stdin is closed from the start without. */
  stdin?: Buffer;
}

/** What a completed {@link runCollected} child left behind. */
export interface CollectedRun {
  exit: ChildExit;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived child (ffprobe) to completion and collects its stdout, under a wall-clock
 * deadline, a cancellation signal and an output cap; the child is reaped in every case.
 *
 * @throws the `onDeadline` error, CancelledError, or DECODE_FAILED when stdout exceeds the cap.
 */
export async function runCollected(
  command: string,
  args: readonly string[],
  options: RunCollectedOptions,
): Promise<CollectedRun> {
  if (options.signal?.aborted) throw new CancelledError();
  const child = spawnManaged(command, args, [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']);
  // A child that stops reading early (ffprobe has seen enough) turns our write into EPIPE, which
  // spawnManaged already swallows; the exit status decides.
  if (options.stdin) child.process.stdin?.end(options.stdin);
  // 'close' comes after 'exit' once stdout and stderr are drained, so no output is lost.
  const closed = new Promise<void>((resolve) => child.process.once('close', () => resolve()));
  const chunks: Buffer[] = [];
  let size = 0;
  let failure: FramewatchError | undefined;
  const fail = (err: FramewatchError) => {
    failure ??= err;
    void child.terminate();
  };
  child.process.stdout?.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > options.maxStdoutBytes) fail(new FramewatchError('DECODE_FAILED', 'ffprobe output is too large'));
    else chunks.push(chunk);
  });
  const timer = setTimeout(() => fail(options.onDeadline()), options.deadlineMs);
  const onAbort = () => fail(new CancelledError());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exit = await child.exited;
    if (failure) {
      await child.terminate();
      throw failure;
    }
    if (exit.spawnError) throw spawnFailure(command, exit);
    await closed;
    if (failure) throw failure;
    return { exit, stdout: Buffer.concat(chunks).toString('utf8'), stderr: child.stderrTail() };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await child.terminate();
  }
}
