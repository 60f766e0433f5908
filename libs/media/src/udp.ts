/**
 * Receiving MPEG-TS over UDP in Node (`node:dgram`): Framewatch binds the port (and joins the
 * multicast group) itself and pipes the datagrams into the decoder, whose only protocol stays
 * `pipe`. ffmpeg's own `udp` protocol is never used, so the URL's options never reach it.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { InputError, systemErrorCode } from '@framewatch/errors';
import type { ValidatedUdpSource } from '@framewatch/source-rules';
import type { LiveEvent, LiveTsQueue } from './live-queue';

/**
 * Receive buffer asked of the kernel when the URL sets none: a 20 Mb/s stream delivers about
 * 2.5 MB/s, and a busy event loop must not let the kernel drop datagrams in the meantime.
 * Linux caps it at `net.core.rmem_max` without failing.
 */
const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** A bound UDP socket feeding a queue. */
export interface OpenUdp {
  /** Leaves the group, closes the socket (the port is free again once it resolves). Idempotent. */
  close(): Promise<void>;
}

/**
 * Binds `source`'s port and pushes every datagram into `queue` until closed. A multicast
 * address is joined on the wildcard address with `reuseAddr`, so several receivers of one group
 * can run side by side; a unicast port is bound exclusively, so a second analysis of the same
 * port fails instead of silently sharing the datagrams.
 *
 * @throws InputError INPUT_NOT_FOUND when the port cannot be bound (in use, not an address of
 *   this machine, privileged) or the group cannot be joined; the socket is closed then.
 *
 * @example
 * const udp = await openUdp(source, queue, (e) => log.debug(e));
 * // … queue.take() …
 * await udp.close();
 */
export async function openUdp(source: ValidatedUdpSource, queue: LiveTsQueue, emit: (event: LiveEvent) => void): Promise<OpenUdp> {
  const socket = createSocket({ type: source.family, reuseAddr: source.group !== null });
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // never bound, or already closed
      }
    });
    return closing;
  };
  const unavailable = (what: string, err: unknown): InputError =>
    new InputError('INPUT_NOT_FOUND', `cannot ${what} ${source.display} (${describe(err)})`, { cause: err, detail: { errno: systemErrorCode(err) } });

  try {
    await bind(socket, source.port, source.bindAddress);
  } catch (err) {
    await close();
    throw unavailable('listen on', err);
  }
  if (source.group !== null) {
    try {
      socket.addMembership(source.group, source.localAddress ?? undefined);
    } catch (err) {
      await close();
      throw unavailable('join the multicast group of', err);
    }
  }
  try {
    socket.setRecvBufferSize(source.bufferSize ?? DEFAULT_RECEIVE_BUFFER_BYTES);
  } catch {
    // Only a hint to the kernel; receiving works without it.
  }
  socket.on('message', (datagram: Buffer) => queue.push(datagram));
  socket.on('error', (err) => queue.fail(unavailable('receive from', err)));
  emit({ type: 'listening', url: source.display });
  return { close };
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** A short reason for a socket error, naming the usual causes. */
function describe(err: unknown): string {
  const code = systemErrorCode(err);
  switch (code) {
    case 'EADDRINUSE':
      return 'the port is already in use';
    case 'EADDRNOTAVAIL':
      return 'the address is not one of this machine';
    case 'EACCES':
      return 'permission denied';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}
