/**
 * A TCP fault proxy for reliability tests (RELIABILITY.md "State, storage and faults").
 *
 * Sits between an HTTP/1.1 client and a loopback server and injects faults per *request*, not
 * per connection: it frames requests on the client→target byte stream (Content-Length and
 * chunked bodies), so faults hit pooled keep-alive sockets too. Every control is read again on
 * every chunk, so changing a control takes effect on connections that are already open.
 *
 * Assumes clients do not pipeline (Node's `http` and the AWS SDK never do): any target bytes
 * that arrive after a request was completely forwarded belong to that request's response.
 */
import { createPrng } from '@framewatch/seeded-random';
import * as net from 'node:net';

/** Where the proxy forwards to. */
export interface FaultProxyTarget {
  host: string;
  port: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  target: FaultProxyTarget;
  /** Seed of the PRNG behind {@link FaultProxy.chaos}; random (and printed) when absent. */
  seed?: number;
  /** Port to listen on (127.0.0.1); 0 (any free port) by default. */
  port?: number;
  /** Where the seed line goes; stderr by default. */
  log?: (line: string) => void;
}

/** Probabilities of {@link FaultProxy.chaos}; each new request draws once from the seeded PRNG. */
export interface ChaosOptions {
  /** Probability that a request is reset before it is forwarded. */
  resetProbability?: number;
  /** Probability that a request is forwarded and its response dropped (lost ack). */
  dropProbability?: number;
}

/** Counters since start (or since the last {@link FaultProxy.reset} with `clearStats`). */
export interface FaultProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Requests seen (request heads started), including faulted ones. */
  requests: number;
  /** Requests forwarded to the target (everything but resets and black holes). */
  forwarded: number;
  /** Requests whose connection was reset before forwarding ({@link FaultProxy.resetNext}, chaos). */
  resets: number;
  /** Responses swallowed after the target answered ({@link FaultProxy.dropNextResponses}, chaos). */
  drops: number;
  /** Connections that fell into the black hole. */
  blackHoled: number;
  /** Requests answered by the proxy itself ({@link FaultProxy.respondNext}). */
  responded: number;
}

/** A canned HTTP response for {@link FaultProxy.respondNext}. */
export interface CannedResponse {
  status: number;
  /** Header names and values; `content-length` is set from the body. */
  headers?: Record<string, string>;
  body?: string;
}

/** A request the proxy saw: when its head was complete, and the head (request line and headers, latin1). */
export interface SeenRequest {
  at: number;
  head: string;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point the client's `endpoint` here. */
  readonly endpoint: string;
  readonly port: number;
  /** The PRNG seed (printed when {@link FaultProxy.chaos} is switched on). */
  readonly seed: number;
  /**
   * Resets (TCP RST) the connection of each of the next `n` requests (that match, if `match` is
   * given) **before forwarding any byte of it**: the target never sees those requests, the
   * client sees `ECONNRESET`. Queued faults apply in the order they were asked for.
   */
  resetNext(n: number, options?: FaultMatch): void;
  /**
   * Forwards each of the next `n` (matching) requests to the target, then swallows its response and resets
   * the client connection: the write happened but the client never learns it (lost ack, R2).
   */
  dropNextResponses(n: number, options?: FaultMatch): void;
  /**
   * Answers each of the next `n` (matching) requests with `response` instead of forwarding it
   * (the target never sees it) and keeps the connection open: a throttling or server error that
   * the client's retry logic must handle (R13).
   */
  respondNext(n: number, response: CannedResponse, options?: FaultMatch): void;
  /** Every request seen since start or the last {@link FaultProxy.reset} with `clearStats`, in order. */
  requests(): SeenRequest[];
  /**
   * While on, connections accept bytes and never answer (nothing is forwarded). A connection
   * that fell in stays silent until closed; switching off destroys those connections.
   */
  blackHole(on: boolean): void;
  /** Delays every client→target chunk by `ms` (order kept); 0 switches it off. */
  latency(ms: number): void;
  /** Random faults per request from the seeded PRNG; prints the seed. Pass `null` to stop. */
  chaos(options: ChaosOptions | null): void;
  /** Clears every fault (pending resets/drops, black hole, latency, chaos); optionally the counters. */
  reset(options?: { clearStats?: boolean }): void;
  stats(): FaultProxyStats;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** The seeded PRNG random fault schedules use (re-exported for tests that build their own). */
export { createPrng };

/** A request boundary found by {@link RequestFramer}: its first byte, the end of its head, its end. */
export type FrameEvent = { type: 'start' | 'end'; offset: number } | { type: 'head'; offset: number; head: string };

/** Which requests a queued fault applies to; all when absent. */
export interface FaultMatch {
  /** Tested against the request head (request line and headers, latin1), e.g. `/X-Amz-Target: DynamoDB_20120810.UpdateItem/i`. */
  match?: RegExp | ((head: string) => boolean);
}

const MAX_HEAD = 64 * 1024;

/** Finds request boundaries in a client→server HTTP/1.1 byte stream. */
export class RequestFramer {
  private state: 'idle' | 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailers' = 'idle';
  private head = '';
  private line = '';
  private remaining = 0;

  /** Returns request start/head/end offsets within `chunk`. */
  feed(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'idle': {
          // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
          if (chunk[i] === 0x0d || chunk[i] === 0x0a) {
            i++;
            break;
          }
          events.push({ type: 'start', offset: i });
          this.state = 'head';
          this.head = '';
          break;
        }
        case 'head': {
          const searchFrom = Math.max(0, this.head.length - 3);
          const combined = this.head + chunk.toString('latin1', i);
          const p = combined.indexOf('\r\n\r\n', searchFrom);
          if (p < 0) {
            this.head = combined.length > MAX_HEAD ? combined.slice(-4) : combined;
            i = chunk.length;
            break;
          }
          const consumed = p + 4 - this.head.length;
          i += consumed;
          const rawHead = combined.slice(0, p);
          const headers = rawHead.toLowerCase();
          this.head = '';
          events.push({ type: 'head', offset: i, head: rawHead });
          if (/\ntransfer-encoding:[^\n]*chunked/.test(headers)) {
            this.state = 'chunk-size';
            this.line = '';
          } else {
            const m = /\ncontent-length:\s*(\d+)/.exec(headers);
            this.remaining = m ? Number(m[1]) : 0;
            if (this.remaining > 0) this.state = 'body';
            else this.finish(events, i);
          }
          break;
        }
        case 'body':
        case 'chunk-data': {
          const n = Math.min(this.remaining, chunk.length - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.state === 'body') this.finish(events, i);
            else this.state = 'chunk-size';
          }
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const c = chunk[i++];
          if (c !== 0x0a) {
            this.line += String.fromCharCode(c);
            break;
          }
          const text = this.line.trim();
          this.line = '';
          if (this.state === 'trailers') {
            if (text === '') this.finish(events, i);
            break;
          }
          const size = parseInt(text.split(';')[0], 16);
          if (size === 0) this.state = 'trailers';
          else {
            this.remaining = size + 2; // data + CRLF
            this.state = 'chunk-data';
          }
          break;
        }
      }
    }
    return events;
  }

  private finish(events: FrameEvent[], offset: number): void {
    events.push({ type: 'end', offset });
    this.state = 'idle';
  }
}

/** A fault queued for the next matching request. */
type PendingFault =
  | { kind: 'reset' | 'drop'; match?: (head: string) => boolean }
  | { kind: 'respond'; match?: (head: string) => boolean; response: CannedResponse };

interface Conn {
  client: net.Socket;
  upstream: net.Socket;
  framer: RequestFramer;
  blackHoled: boolean;
  /** The request being forwarded must have its response dropped. */
  dropCurrent: boolean;
  /** A dropped request was completely forwarded: the next target bytes are its response. */
  dropArmed: boolean;
  /** The request being read is answered by the proxy ({@link FaultProxy.respondNext}): its bytes are swallowed. */
  answer: CannedResponse | null;
  /** Bytes of a request whose head is not complete yet: held until its fault is decided. */
  held: Buffer[] | null;
  queue: Array<{ at: number; bytes: Buffer; after?: () => void }>;
  timer: NodeJS.Timeout | null;
  clientEnded: boolean;
  dead: boolean;
}

/**
 * Starts a fault proxy on 127.0.0.1 in front of `target`.
 *
 * @example
 * const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: 8000 } });
 * const client = new DynamoDBClient({ endpoint: proxy.endpoint, maxAttempts: 3 });
 * proxy.resetNext(2); // the next two attempts see ECONNRESET, the third goes through
 * // … call, then expect(proxy.stats().requests).toBe(3)
 * await proxy.close();
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target } = options;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const random = createPrng(seed);
  const conns = new Set<Conn>();
  const faults = {
    pending: [] as PendingFault[],
    blackHole: false,
    latencyMs: 0,
    chaos: null as ChaosOptions | null,
  };
  const zero = (): FaultProxyStats => ({
    connections: 0,
    requests: 0,
    forwarded: 0,
    resets: 0,
    drops: 0,
    blackHoled: 0,
    responded: 0,
  });
  let counters = zero();
  let seen: SeenRequest[] = [];

  const kill = (conn: Conn, rst: boolean): void => {
    if (conn.dead) return;
    conn.dead = true;
    if (conn.timer) clearTimeout(conn.timer);
    conn.queue = [];
    if (rst && !conn.client.destroyed) conn.client.resetAndDestroy();
    else conn.client.destroy();
    conn.upstream.destroy();
    conns.delete(conn);
  };

  const pump = (conn: Conn): void => {
    conn.timer = null;
    while (!conn.dead && conn.queue.length > 0) {
      const head = conn.queue[0];
      const wait = head.at - Date.now();
      if (wait > 0) {
        conn.timer = setTimeout(() => pump(conn), wait);
        return;
      }
      conn.queue.shift();
      if (head.bytes.length > 0) conn.upstream.write(head.bytes);
      head.after?.();
    }
    if (!conn.dead && conn.clientEnded && conn.queue.length === 0) conn.upstream.end();
  };

  const forward = (conn: Conn, bytes: Buffer, after?: () => void): void => {
    conn.queue.push({ at: Date.now() + faults.latencyMs, bytes, after });
    if (!conn.timer) pump(conn);
  };

  const decide = (head: string): PendingFault | { kind: 'none' } => {
    const i = faults.pending.findIndex((f) => f.match === undefined || f.match(head));
    if (i >= 0) return faults.pending.splice(i, 1)[0];
    if (faults.chaos) {
      const r = random();
      const pr = faults.chaos.resetProbability ?? 0;
      const pd = faults.chaos.dropProbability ?? 0;
      if (r < pr) return { kind: 'reset' };
      if (r < pr + pd) return { kind: 'drop' };
    }
    return { kind: 'none' };
  };

  const fallIn = (conn: Conn): void => {
    if (!conn.blackHoled) {
      conn.blackHoled = true;
      counters.blackHoled++;
    }
  };

  const server = net.createServer((client) => {
    counters.connections++;
    const upstream = net.connect({ host: target.host, port: target.port });
    const conn: Conn = {
      client,
      upstream,
      framer: new RequestFramer(),
      blackHoled: false,
      dropCurrent: false,
      dropArmed: false,
      answer: null,
      held: null,
      queue: [],
      timer: null,
      clientEnded: false,
      dead: false,
    };
    conns.add(conn);
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    client.on('data', (chunk: Buffer) => {
      if (conn.dead) return;
      if (faults.blackHole || conn.blackHoled) {
        fallIn(conn);
        return;
      }
      let from = 0;
      const emit = (to: number): void => {
        if (to > from && conn.answer === null) {
          const bytes = chunk.subarray(from, to);
          if (conn.held) conn.held.push(bytes);
          else forward(conn, bytes);
        }
        from = to;
      };
      for (const ev of conn.framer.feed(chunk)) {
        emit(ev.offset);
        if (ev.type === 'start') {
          // Hold the request until its head is complete, so that a fault can match on it and a
          // reset happens before the target sees a single byte.
          conn.held = [];
        } else if (ev.type === 'head') {
          counters.requests++;
          seen.push({ at: Date.now(), head: ev.head });
          const held = Buffer.concat(conn.held ?? []);
          conn.held = null;
          const fault = decide(ev.head);
          if (fault.kind === 'respond') {
            // Swallow the request (its body too) and answer it once it has been read.
            conn.answer = fault.response;
            continue;
          }
          if (fault.kind === 'reset') {
            counters.resets++;
            // Bytes queued before this request (latency) still go out first.
            forward(conn, Buffer.alloc(0), () => kill(conn, true));
            return;
          }
          counters.forwarded++;
          conn.dropCurrent = fault.kind === 'drop';
          forward(conn, held);
        } else if (conn.answer !== null) {
          const answer = conn.answer;
          conn.answer = null;
          counters.responded++;
          forward(conn, Buffer.alloc(0), () => {
            if (!conn.dead) client.write(cannedBytes(answer));
          });
        } else if (conn.dropCurrent) {
          conn.dropCurrent = false;
          forward(conn, Buffer.alloc(0), () => {
            conn.dropArmed = true;
          });
        }
      }
      emit(chunk.length);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (conn.dead || conn.blackHoled) return;
      if (faults.blackHole) {
        fallIn(conn);
        return;
      }
      if (conn.dropArmed) {
        counters.drops++;
        kill(conn, true);
        return;
      }
      client.write(chunk);
    });
    client.on('end', () => {
      conn.clientEnded = true;
      if (!conn.timer) pump(conn);
    });
    upstream.on('end', () => {
      if (!conn.blackHoled) client.end();
    });
    client.on('error', () => kill(conn, false));
    upstream.on('error', () => kill(conn, true));
    client.on('close', () => kill(conn, false));
    upstream.on('close', () => {
      if (!conn.blackHoled) kill(conn, false);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const releaseBlackHoled = (): void => {
    for (const conn of [...conns]) if (conn.blackHoled) kill(conn, false);
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    seed,
    resetNext(n, opts) {
      for (let i = 0; i < n; i++) faults.pending.push({ kind: 'reset', match: toMatcher(opts?.match) });
    },
    respondNext(n, response, opts) {
      for (let i = 0; i < n; i++) faults.pending.push({ kind: 'respond', match: toMatcher(opts?.match), response });
    },
    requests() {
      return [...seen];
    },
    dropNextResponses(n, opts) {
      for (let i = 0; i < n; i++) faults.pending.push({ kind: 'drop', match: toMatcher(opts?.match) });
    },
    blackHole(on) {
      faults.blackHole = on;
      if (!on) releaseBlackHoled();
    },
    latency(ms) {
      faults.latencyMs = Math.max(0, ms);
    },
    chaos(chaos) {
      faults.chaos = chaos;
      if (chaos) log(`fault-proxy: chaos ${JSON.stringify(chaos)} with seed=${seed} (pass { seed: ${seed} } to replay)`);
    },
    reset(opts) {
      faults.pending = [];
      faults.blackHole = false;
      faults.latencyMs = 0;
      faults.chaos = null;
      releaseBlackHoled();
      if (opts?.clearStats) {
        counters = zero();
        seen = [];
      }
    },
    stats() {
      return { ...counters };
    },
    async close() {
      for (const conn of [...conns]) kill(conn, false);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function cannedBytes(response: CannedResponse): Buffer {
  const body = Buffer.from(response.body ?? '', 'utf8');
  const headers = Object.entries(response.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-length');
  const head = [`HTTP/1.1 ${response.status} Canned`, ...headers.map(([name, value]) => `${name}: ${value}`), `Content-Length: ${body.length}`, '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function toMatcher(match: FaultMatch['match']): ((head: string) => boolean) | undefined {
  if (match === undefined) return undefined;
  if (typeof match === 'function') return match;
  return (head) => match.test(head);
}
