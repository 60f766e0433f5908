import { UsageError } from '@framewatch/errors';

/** Thresholds of the black detector. */
export interface BlackThresholds {
  /**
   * Highest luma value (8-bit code) that still counts as a black pixel. ffmpeg blackdetect's
   * default `pix_th=0.10` of the limited range: 16 + 0.10 × (235 − 16) = 37.9, truncated to 37.
   */
  lumaMax: number;
  /** Share of black pixels at which a frame scores 0.5 (blackdetect's `pic_th=0.98`). */
  ratio: number;
}

/** Thresholds of the freeze detector, applied to the luma grid (about 320×180, see `needs`). */
export interface FreezeThresholds {
  /** A pixel has "changed" when its luma moved by more than this many codes since the previous frame. */
  pixelDelta: number;
  /** Share of changed pixels at which a frame scores 0.5; fewer changed pixels means frozen. */
  changedShare: number;
  /** Change of mean luma (codes) at which a frame scores 0.5; catches fades, which change every pixel a little. */
  meanShift: number;
  /**
   * Share of changed pixels, against the still run's reference frame, at which a frame scores
   * 0.5. Looser than `changedShare` because an encoder keeps refining a frozen picture for a
   * second or so, which moves its first repeat further from the later ones than from its neighbour.
   */
  driftShare: number;
  /**
   * Once a picture has looked still this long, it is also compared with a frame one to two
   * baselines older, so that slow motion, invisible from one frame to the next, adds up.
   */
  baselineSec: number;
}

/** Thresholds of the silence detector. */
export interface SilenceThresholds {
  /** RMS level (dBFS, loudest channel) at which a chunk scores 0.5 (silencedetect's `noise=-60dB`). */
  dbfs: number;
}

/** Thresholds of the clipping detector. */
export interface ClippingThresholds {
  /** Absolute sample value from which a sample counts as hot (0.891 = −1 dBFS). */
  level: number;
  /** Minimum number of consecutive hot samples in one channel that form a flat top. */
  minRun: number;
  /** Share of a channel's samples inside flat tops at which a chunk scores 0.5. */
  share: number;
}

/** Every detector's thresholds. */
export interface DetectorThresholds {
  black: BlackThresholds;
  freeze: FreezeThresholds;
  silence: SilenceThresholds;
  clipping: ClippingThresholds;
}

/** Partial overrides of {@link DetectorThresholds}, merged over {@link defaultThresholds}. */
export type DetectorThresholdOverrides = { [K in keyof DetectorThresholds]?: Partial<DetectorThresholds[K]> };

/**
 * The default thresholds, each calibrated so that a measurement equal to it scores 0.5.
 * libs/detectors/THRESHOLDS.md gives the reason for every value and the fixtures it was tuned on.
 *
 * @example
 * createDetector({ thresholds: { silence: { dbfs: defaultThresholds.silence.dbfs - 10 } } });
 */
export const defaultThresholds = {
  black: { lumaMax: 37, ratio: 0.98 },
  freeze: { pixelDelta: 16, changedShare: 0.001, meanShift: 0.5, driftShare: 0.004, baselineSec: 0.5 },
  silence: { dbfs: -60 },
  clipping: { level: 0.891, minRun: 2, share: 0.02 },
} as const satisfies DetectorThresholds;

/** Valid range per threshold, inclusive; a value outside it makes the score curve meaningless. */
const ranges = {
  black: { lumaMax: [0, 254], ratio: [0.01, 0.999] },
  freeze: { pixelDelta: [0, 254], changedShare: [1e-6, 0.5], meanShift: [1e-3, 64], driftShare: [1e-6, 0.5], baselineSec: [0.04, 60] },
  silence: { dbfs: [-140, -1] },
  clipping: { level: [0.1, 1], minRun: [1, 4800], share: [1e-4, 0.2] },
} as const satisfies { [K in keyof DetectorThresholds]: Record<keyof DetectorThresholds[K], readonly [number, number]> };

/** Thresholds compared with integer codes or counts. */
const integerThresholds: ReadonlySet<string> = new Set(['black.lumaMax', 'freeze.pixelDelta', 'clipping.minRun']);

/**
 * Merges overrides over the defaults and validates the result (createDetector does this; it is
 * exported so configuration can be checked at start-up, before any detector exists).
 *
 * @example
 * resolveThresholds({ freeze: { changedShare: 0.002 } }).freeze.pixelDelta; // 16, the default
 *
 * @throws UsageError (code `USAGE`) naming the threshold when a value is unknown, not a finite
 * number, or outside its range.
 */
export function resolveThresholds(overrides: DetectorThresholdOverrides = {}): DetectorThresholds {
  const resolved: DetectorThresholds = {
    black: { ...defaultThresholds.black },
    freeze: { ...defaultThresholds.freeze },
    silence: { ...defaultThresholds.silence },
    clipping: { ...defaultThresholds.clipping },
  };
  for (const [group, values] of Object.entries(overrides)) {
    if (!(group in ranges)) {
      throw new UsageError(`unknown threshold group "${group}"; valid groups: ${Object.keys(ranges).join(', ')}`);
    }
    const key = group as keyof DetectorThresholds;
    const groupRanges: Record<string, readonly [number, number]> = ranges[key];
    const target = resolved[key] as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(values ?? {})) {
      const range = groupRanges[name];
      if (range === undefined) {
        throw new UsageError(`unknown threshold "${group}.${name}"; valid: ${Object.keys(groupRanges).map((n) => `${group}.${n}`).join(', ')}`);
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
        throw new UsageError(`threshold "${group}.${name}" must be a number in [${range[0]}, ${range[1]}], got ${String(value)}`);
      }
      if (integerThresholds.has(`${group}.${name}`) && !Number.isInteger(value)) {
        throw new UsageError(`threshold "${group}.${name}" must be an integer, got ${value}`);
      }
      target[name] = value;
    }
  }
  return resolved;
}
