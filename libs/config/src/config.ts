import { ConfigError } from '@framewatch/errors';
import { z } from 'zod';

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positive = z.coerce.number().positive();

/**
 * Every configuration key, its environment variable and its default. Keys are read from
 * `FRAMEWATCH_<KEY>`; CLI flags override them through `overrides`.
 */
const schema = z.object({
  /** Where local stores keep jobs, results and frames (`FRAMEWATCH_DATA_DIR`). */
  dataDir: z.string().min(1).default('./.framewatch'),
  /** Log level (`FRAMEWATCH_LOG_LEVEL`). */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** ffmpeg binary (`FRAMEWATCH_FFMPEG_PATH`); Debian's by default. */
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  /** ffprobe binary (`FRAMEWATCH_FFPROBE_PATH`). */
  ffprobePath: z.string().min(1).default('ffprobe'),
  /**
   * Allow sources on loopback, private and link-local addresses (`FRAMEWATCH_ALLOW_PRIVATE_SOURCES`).
   * Off by default so a remote caller cannot reach internal services through ffmpeg; tests on
   * loopback turn it on.
   */
  allowPrivateSources: boolean.default(false),
  /** Seconds without input bytes before a source is abandoned (`FRAMEWATCH_IO_TIMEOUT_SEC`). */
  ioTimeoutSec: positive.default(15),
  /** Wall-clock cap of one decode, seconds (`FRAMEWATCH_MAX_WALL_SEC`). */
  maxWallSec: positive.default(6 * 3600),
  /** Longest media a file analysis accepts, seconds (`FRAMEWATCH_MAX_DURATION_SEC`). */
  maxDurationSec: positive.default(12 * 3600),
  /** Largest frame accepted, in pixels (`FRAMEWATCH_MAX_FRAME_PIXELS`); 8K by default. */
  maxFramePixels: positive.default(7680 * 4320),
  /**
   * ffmpeg decoder threads per stream (`FRAMEWATCH_DECODE_THREADS`); 0 lets ffmpeg use one per
   * core. One is the cheapest in CPU per stream, which is what a monitor of many streams needs;
   * 0 gives the shortest wall time for a single file.
   */
  decodeThreads: z.coerce.number().int().min(0).max(64).default(1),
  /** Video frames per FrameBatch (`FRAMEWATCH_FRAMES_PER_BATCH`). */
  framesPerBatch: z.coerce.number().int().min(1).max(1000).default(25),
});

/** Validated Framewatch configuration. */
export type FramewatchConfig = z.infer<typeof schema>;

/** Keys of {@link FramewatchConfig}. */
export type ConfigKey = keyof FramewatchConfig;

/** The environment variable that sets a key: `dataDir` → `FRAMEWATCH_DATA_DIR`. */
export function envVarFor(key: ConfigKey): string {
  return `FRAMEWATCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Where {@link loadConfig} reads from. */
export interface LoadConfigOptions {
  /** The environment to read; `process.env` by default (the only place it is read). */
  env?: Record<string, string | undefined>;
  /** Values from CLI flags; they win over the environment. Undefined entries are ignored. */
  overrides?: Partial<Record<ConfigKey, string | number | boolean | undefined>>;
  /** An app's own defaults (e.g. the CLI logs only warnings); the environment wins over them. */
  defaults?: Partial<Record<ConfigKey, string | number | boolean>>;
}

/**
 * Reads and validates configuration. Fails fast with a {@link ConfigError} naming the variable.
 *
 * @example
 * const config = loadConfig({ overrides: { dataDir: opts.dataDir }, defaults: { logLevel: 'warn' } });
 */
export function loadConfig(options: LoadConfigOptions = {}): FramewatchConfig {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape) as ConfigKey[]) {
    const appDefault = options.defaults?.[key];
    if (appDefault !== undefined) raw[key] = String(appDefault);
    const fromEnv = env[envVarFor(key)];
    if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
    const override = options.overrides?.[key];
    if (override !== undefined) raw[key] = typeof override === 'string' ? override : String(override);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '') as ConfigKey;
    throw new ConfigError(`invalid ${envVarFor(key)}: ${issue?.message ?? 'invalid value'}`, {
      detail: { variable: envVarFor(key) },
    });
  }
  return Object.freeze(parsed.data);
}
