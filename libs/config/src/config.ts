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
  /**
   * Let a remote API caller submit `udp://` sources (`FRAMEWATCH_ALLOW_UDP_SOURCES`). A UDP
   * source makes the worker bind a port (and join a multicast group), so it is off by default
   * for the API and the workers; the CLI always allows it. SRT (`srt://`, caller mode) needs no
   * flag: it follows the destination rules of http(s).
   */
  allowUdpSources: boolean.default(false),
  /**
   * Seconds without a byte from a live UDP or SRT source before it is reported stalled, which
   * opens a `signal_loss` defect (`FRAMEWATCH_LIVE_STALL_SEC`). HLS uses 3 target durations.
   */
  liveStallSec: positive.max(600).default(2),
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
   * 0 gives the shortest wall time for a single file. Only one thread decodes a damaged stream
   * the same way on every run: with more, the decoder conceals errors differently from run to run
   * and logs them in no fixed order, so macroblocking scores and events may vary.
   */
  decodeThreads: z.coerce.number().int().min(0).max(64).default(1),
  /** Video frames per FrameBatch (`FRAMEWATCH_FRAMES_PER_BATCH`). */
  framesPerBatch: z.coerce.number().int().min(1).max(1000).default(25),

  // ── Services (apps/api, apps/monolith, the component apps) ──
  /** Interface an app listens on (`FRAMEWATCH_HOST`); loopback unless deployed behind a load balancer. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port an app listens on (`FRAMEWATCH_PORT`); 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** How the components are deployed (`FRAMEWATCH_TOPOLOGY`): DESIGN.md "Topologies". */
  topology: z.enum(['monolith', 'services', 'services-s3']).default('monolith'),
  /**
   * HS256 secret that API bearer tokens are signed with (`FRAMEWATCH_JWT_SECRET`, ≥ 32 chars).
   * When unset, an app makes a random one and prints a dev token at start-up.
   */
  jwtSecret: z.string().min(32).optional(),
  /** Expected `iss` of API tokens (`FRAMEWATCH_JWT_ISSUER`). */
  jwtIssuer: z.string().min(1).default('framewatch'),
  /** Expected `aud` of API tokens (`FRAMEWATCH_JWT_AUDIENCE`). */
  jwtAudience: z.string().min(1).default('framewatch-api'),
  /** Shared secret for signed service-to-service calls (`FRAMEWATCH_SERVICE_SECRET`, ≥ 32 chars). */
  serviceSecret: z.string().min(32).optional(),
  /** Detector groups a converter fans batches out to (`FRAMEWATCH_DETECTOR_URLS`, comma-separated). */
  detectorUrls: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean)),
  /** The aggregator service (`FRAMEWATCH_AGGREGATOR_URL`). */
  aggregatorUrl: z.string().default(''),
  /** Detectors a detector app runs (`FRAMEWATCH_DETECTORS`, comma-separated); all when empty. */
  detectors: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean)),
  /** The macroblocking model file (`FRAMEWATCH_MACROBLOCKING_MODEL`); empty = the one shipped with the app. */
  macroblockingModel: z.string().default(''),
  /** Name of this detector group (`FRAMEWATCH_DETECTOR_GROUP`). */
  detectorGroup: z.string().regex(/^[a-z0-9-]{1,32}$/).default('default'),
  /** How frames reach detectors (`FRAMEWATCH_FRAME_HANDOFF`): `none` = in the call, `local` = via files (services-s3). */
  frameHandoff: z.enum(['none', 'local']).default('none'),
  /** Analyses one worker runs at once (`FRAMEWATCH_MAX_CONCURRENT_JOBS`). */
  maxConcurrentJobs: z.coerce.number().int().min(1).max(256).default(2),
  /** Queued + running jobs accepted before the API answers 429 (`FRAMEWATCH_MAX_QUEUED`). */
  maxQueued: z.coerce.number().int().min(1).default(100),
  /** Job lease length in seconds (`FRAMEWATCH_LEASE_SEC`). */
  leaseSec: positive.default(30),
  /** Largest upload accepted, bytes (`FRAMEWATCH_MAX_UPLOAD_BYTES`); 2 GiB by default. */
  maxUploadBytes: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  // ── Storage and alerts ──
  /** Where jobs, results, frames and alerts go (`FRAMEWATCH_STORE`): embedded files/SQLite, or AWS. */
  store: z.enum(['local', 'aws']).default('local'),
  /** AWS region (`FRAMEWATCH_AWS_REGION`). Credentials come from the SDK's default chain. */
  awsRegion: z.string().min(1).default('us-east-1'),
  /** DynamoDB endpoint override (`FRAMEWATCH_DYNAMODB_ENDPOINT`), e.g. the local emulator. */
  dynamodbEndpoint: z.string().url().optional(),
  /** S3 endpoint override (`FRAMEWATCH_S3_ENDPOINT`); path-style addressing is used with it. */
  s3Endpoint: z.string().url().optional(),
  /** SNS endpoint override (`FRAMEWATCH_SNS_ENDPOINT`). */
  snsEndpoint: z.string().url().optional(),
  /** DynamoDB table of jobs and job events (`FRAMEWATCH_JOBS_TABLE`). */
  jobsTable: z.string().min(3).default('framewatch-jobs'),
  /** S3 bucket of reports (`FRAMEWATCH_RESULTS_BUCKET`). */
  resultsBucket: z.string().min(3).default('framewatch-results'),
  /** S3 bucket frames are handed over through in `services-s3` (`FRAMEWATCH_FRAMES_BUCKET`). */
  framesBucket: z.string().min(3).default('framewatch-frames'),
  /** SNS topic defect alerts are published to (`FRAMEWATCH_ALERTS_TOPIC_ARN`); with `store=aws`. */
  alertsTopicArn: z.string().startsWith('arn:').optional(),
  /** Webhook alerts are POSTed to with the local store (`FRAMEWATCH_WEBHOOK_URL`). */
  webhookUrl: z.string().url().optional(),
  /** HMAC secret that signs webhook bodies (`FRAMEWATCH_WEBHOOK_SECRET`). */
  webhookSecret: z.string().min(16).optional(),
  /** Attempts per AWS call, the first included (`FRAMEWATCH_AWS_MAX_ATTEMPTS`). */
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** Timeout of one AWS request, ms (`FRAMEWATCH_AWS_REQUEST_TIMEOUT_MS`); it throws, never just warns. */
  awsRequestTimeoutMs: z.coerce.number().int().positive().default(5000),
  /** API requests per client per minute (`FRAMEWATCH_RATE_LIMIT_PER_MIN`). */
  rateLimitPerMin: z.coerce.number().int().positive().default(600),
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

/**
 * The environment for a child process of ours: this process's environment (PATH, HOME, locale…)
 * without any `FRAMEWATCH_*` variable, plus `settings`. Children get exactly the Framewatch
 * settings they are given, never ones inherited by accident.
 *
 * @example
 * spawn(process.execPath, [bundle], { env: childEnvironment({ FRAMEWATCH_PORT: '8081' }) });
 */
export function childEnvironment(settings: Record<string, string>, env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('FRAMEWATCH_')) out[key] = value;
  }
  return { ...out, ...settings };
}

/**
 * The `FRAMEWATCH_*` variables that give a child process the same values of `keys` as `config`
 * (unset optional keys are left out). Lists are joined with commas, as they are read.
 *
 * @example
 * childEnvironment({ ...settingsEnv(config, ['store', 'awsRegion']), FRAMEWATCH_PORT: '8081' });
 */
export function settingsEnv(config: FramewatchConfig, keys: readonly ConfigKey[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of keys) {
    const value = config[key];
    if (value === undefined) continue;
    env[envVarFor(key)] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
