import { UsageError } from '@framewatch/errors';

/**
 * How a method's argument or result travels over HTTP:
 * - `json`: a request body holding the JSON array of the arguments; a response `{"result": …}`.
 * - `frame-batch` / `detection-batch`: exactly one argument (or the result) as frame-codec bytes,
 *   `application/vnd.framewatch.codec`; frame data is never JSON or base64.
 * - `void`: no arguments (an empty request body) or no result (`204 No Content`).
 */
export type WireCodec = 'json' | 'frame-batch' | 'detection-batch' | 'void';

/** How one method of a contract is called remotely. */
export interface MethodSpec {
  /**
   * True when running the call twice has the effect of running it once. Only idempotent methods
   * are retried after a transport failure; the others surface a `RemoteCallError` instead.
   */
  idempotent: boolean;
  request: WireCodec;
  response: WireCodec;
  /** Deadline of one call (all attempts and back-off included); overrides the client's default. */
  timeoutMs?: number;
}

/** A component contract as the RPC layer sees it: a name and one {@link MethodSpec} per method. */
export interface ContractSpec<T> {
  /** URL-safe name; calls go to `POST /rpc/<name>/<method>`. */
  name: string;
  methods: { [K in keyof T]: MethodSpec };
}

/** Content types of RPC bodies. */
export const RpcContentType = {
  json: 'application/json',
  codec: 'application/vnd.framewatch.codec',
} as const;

/** Headers with a meaning in the RPC protocol. */
export const RpcHeader = {
  /** `1` on every response whose body is a Framewatch error envelope. */
  error: 'x-framewatch-error',
} as const;

// Names end up in URL paths and in logs unescaped.
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
// The HTTP client adds these to the contract's methods.
const RESERVED = new Set(['close', 'stats', 'then', 'constructor']);
const CODECS: ReadonlySet<string> = new Set<WireCodec>(['json', 'frame-batch', 'detection-batch', 'void']);

/**
 * Declares how a component interface is called remotely. The mapped type makes the compiler ask
 * for exactly one spec per method of `T`, so a method added to the interface cannot be forgotten.
 *
 * @throws UsageError when a name is not URL-safe or reserved (`close`, `stats`), or a codec is unknown.
 * @example
 * export const detectorContract = defineContract<Detector>('detector', {
 *   describe: { idempotent: true, request: 'void', response: 'json' },
 *   detect: { idempotent: false, request: 'frame-batch', response: 'detection-batch', timeoutMs: 10_000 },
 * });
 */
export function defineContract<T>(name: string, methods: { [K in keyof T]: MethodSpec }): ContractSpec<T> {
  if (!NAME.test(name)) throw new UsageError(`contract name ${JSON.stringify(name)} is not URL-safe`);
  for (const [method, spec] of Object.entries<MethodSpec>(methods)) {
    if (!NAME.test(method) || RESERVED.has(method)) {
      throw new UsageError(`contract ${name}: method name ${JSON.stringify(method)} is not allowed`);
    }
    if (!CODECS.has(spec.request) || !CODECS.has(spec.response)) {
      throw new UsageError(`contract ${name}: method ${method} has an unknown wire codec`);
    }
  }
  return Object.freeze({ name, methods: Object.freeze({ ...methods }) });
}

/** The URL path of one method (before any base path of the client's `baseUrl`). */
export function rpcPath(contract: string, method: string): string {
  return `/rpc/${contract}/${method}`;
}

/** The method spec of `method`, or undefined; own properties only, so `__proto__` is not a method. */
export function methodSpec<T>(spec: ContractSpec<T>, method: string): MethodSpec | undefined {
  return Object.prototype.hasOwnProperty.call(spec.methods, method)
    ? (spec.methods as Record<string, MethodSpec>)[method]
    : undefined;
}
