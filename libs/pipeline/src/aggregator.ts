import type { DetectionBatch, FrameScore } from '@framewatch/frame-codec';
import { FramewatchError } from '@framewatch/errors';
import type { Aggregator, DefectEvent, DefectListener, DefectType, StreamSnapshot, StreamStart } from './contracts';

/**
 * How runs of per-frame scores become events, per defect type.
 *
 * A unit (video frame or audio chunk) is defective when its score is at least `openScore`; once
 * an event is open, the bar drops to `holdScore` (hysteresis), so a score hovering around the
 * threshold does not split one defect into many. An event is reported only when its defective
 * run lasts `minDurationSec` (or, with `confirmScore`, reaches that score), and closes after
 * `maxGapSec` of non-defective units.
 */
export interface EventRule {
  openScore: number;
  holdScore: number;
  minDurationSec: number;
  maxGapSec: number;
  /**
   * A run with a unit scoring at least this is reported however short it is: one frame the
   * detector is sure of is enough. Unset: only `minDurationSec` counts.
   */
  confirmScore?: number;
}

/**
 * Default rules. Detectors are calibrated so 0.5 is their decision threshold; the durations
 * follow broadcast practice and are explained in libs/detectors/THRESHOLDS.md.
 */
export const defaultEventRules: Record<DefectType, EventRule> = {
  black: { openScore: 0.5, holdScore: 0.4, minDurationSec: 1.0, maxGapSec: 0.2 },
  freeze: { openScore: 0.5, holdScore: 0.4, minDurationSec: 2.0, maxGapSec: 0.2 },
  silence: { openScore: 0.5, holdScore: 0.4, minDurationSec: 2.0, maxGapSec: 0.2 },
  clipping: { openScore: 0.5, holdScore: 0.4, minDurationSec: 0.2, maxGapSec: 0.3 },
  // A sure frame confirms macroblocking at once: the frames that copy a wrecked picture unchanged
  // score as a still one, so the run can be a single frame (confirmScore calibrated with the model
  // on its training clips, libs/detectors/MODEL.md).
  macroblocking: { openScore: 0.5, holdScore: 0.4, minDurationSec: 0.2, maxGapSec: 0.5, confirmScore: 0.95 },
  loudness: { openScore: 0.5, holdScore: 0.4, minDurationSec: 3.0, maxGapSec: 1.0 },
  signal_loss: { openScore: 0.5, holdScore: 0.5, minDurationSec: 0, maxGapSec: 0 },
};

/** Options of {@link createAggregator}. */
export interface AggregatorOptions {
  /** Per-type overrides of {@link defaultEventRules}. */
  rules?: Partial<Record<DefectType, Partial<EventRule>>>;
  /** Receives opened/closed events as they happen. */
  listener?: DefectListener;
}

/** The state of one defect type's run in one stream. */
interface Track {
  type: DefectType;
  detector: string;
  rule: EventRule;
  /** First and last defective unit of the current candidate run, if any. */
  runStart: number | null;
  runEnd: number;
  scoreSum: number;
  units: number;
  peak: number;
  /** End time of the last unit seen (defective or not). */
  lastSeenEnd: number;
  /** True once the run reached minDurationSec and `onDefectOpened` fired. */
  open: boolean;
  /**
   * An open event carried over from an earlier attempt (`StreamStart.resume`), not yet confirmed
   * or ended by a unit of this one: the time between the attempts is unknown, so the first unit
   * decides alone whether the defect is still there.
   */
  carried: boolean;
}

interface StreamState {
  tracks: Map<string, Track>;
  events: DefectEvent[];
}

/**
 * Creates the in-process aggregator: per stream, one track per detector, fed in time order.
 * Batches from different detector groups interleave freely, since each track only sees its own
 * detector's scores, which one group produces in order.
 *
 * @example
 * const aggregator = createAggregator({ listener: { onDefectOpened: (id, e) => alert(e) } });
 * await aggregator.start({ streamId, source, media, detectors });
 * for (const batch of detectionBatches) await aggregator.ingest(batch);
 * const defects = await aggregator.finish(streamId);
 */
export function createAggregator(options: AggregatorOptions = {}): Aggregator {
  const streams = new Map<string, StreamState>();
  const listener = options.listener ?? {};

  function ruleFor(type: DefectType): EventRule {
    return { ...defaultEventRules[type], ...options.rules?.[type] };
  }

  function eventOf(track: Track): DefectEvent {
    return {
      type: track.type,
      startSec: round(track.runStart ?? 0),
      endSec: round(track.runEnd),
      confidence: round(track.units > 0 ? track.scoreSum / track.units : 0, 3),
      detail: { detector: track.detector, peakScore: round(track.peak, 3) },
    };
  }

  function closeRun(streamId: string, state: StreamState, track: Track): void {
    if (confirmed(track)) {
      const event = eventOf(track);
      if (!track.open) listener.onDefectOpened?.(streamId, event);
      state.events.push(event);
      listener.onDefectClosed?.(streamId, event);
    }
    track.runStart = null;
    track.scoreSum = 0;
    track.units = 0;
    track.peak = 0;
    track.open = false;
  }

  function feed(streamId: string, state: StreamState, track: Track, unit: FrameScore, score: number): void {
    const start = unit.pts;
    const end = unit.pts + unit.durationSec;
    track.lastSeenEnd = end;
    if (track.carried) {
      track.carried = false;
      // Still defective: the event goes on across the gap, already alerted. Otherwise it ended
      // where the earlier attempt last saw it.
      if (score < track.rule.holdScore) closeRun(streamId, state, track);
      else extend(track, end, score);
      return;
    }
    const bar = track.runStart === null ? track.rule.openScore : track.rule.holdScore;
    if (score >= bar) {
      if (track.runStart === null) track.runStart = start;
      extend(track, end, score);
      if (!track.open && confirmed(track)) {
        track.open = true;
        listener.onDefectOpened?.(streamId, eventOf(track));
      }
      return;
    }
    if (track.runStart !== null && end - track.runEnd > track.rule.maxGapSec + 1e-9) {
      closeRun(streamId, state, track);
    }
  }

  function stateOf(streamId: string): StreamState {
    const state = streams.get(streamId);
    if (!state) throw new FramewatchError('NOT_FOUND', `aggregator has no stream ${streamId}`);
    return state;
  }

  return {
    async start(stream: StreamStart): Promise<void> {
      // A stream started again begins afresh, unless it says what to resume.
      const tracks = new Map<string, Track>();
      for (const d of stream.detectors) {
        tracks.set(d.name, {
          type: d.defect,
          detector: d.name,
          rule: ruleFor(d.defect),
          runStart: null,
          runEnd: 0,
          scoreSum: 0,
          units: 0,
          peak: 0,
          lastSeenEnd: 0,
          open: false,
          carried: false,
        });
      }
      const events = (stream.resume?.closed ?? []).map((e) => ({ ...e, detail: { ...e.detail } }));
      for (const event of stream.resume?.open ?? []) {
        const track = tracks.get(String(event.detail['detector'])) ?? [...tracks.values()].find((t) => t.type === event.type);
        // An open event of a detector no longer running ends where it was last seen.
        if (!track || track.runStart !== null) {
          events.push({ ...event, detail: { ...event.detail } });
          continue;
        }
        Object.assign(track, {
          runStart: event.startSec,
          runEnd: event.endSec,
          scoreSum: event.confidence,
          units: 1,
          peak: typeof event.detail['peakScore'] === 'number' ? event.detail['peakScore'] : event.confidence,
          lastSeenEnd: event.endSec,
          open: true,
          carried: true,
        });
      }
      streams.set(stream.streamId, { tracks, events });
    },

    async ingest(batch: DetectionBatch): Promise<void> {
      const state = stateOf(batch.streamId);
      for (const unit of batch.scores) {
        for (const [name, score] of Object.entries(unit.scores)) {
          const track = state.tracks.get(name);
          if (track && Number.isFinite(score)) feed(batch.streamId, state, track, unit, score);
        }
      }
    },

    async snapshot(streamId: string, fromClosed = 0): Promise<StreamSnapshot & { closedCount: number }> {
      const state = stateOf(streamId);
      const from = Number.isSafeInteger(fromClosed) && fromClosed > 0 ? fromClosed : 0;
      const open = [...state.tracks.values()].filter((t) => t.open).map(eventOf);
      return { closed: state.events.slice(from), open, closedCount: state.events.length };
    },

    async finish(streamId: string): Promise<DefectEvent[]> {
      const state = stateOf(streamId);
      for (const track of state.tracks.values()) closeRun(streamId, state, track);
      streams.delete(streamId);
      return state.events.sort(compareDefects);
    },
  };
}

/** The order of defects in a report: by start time, then by type. */
export function compareDefects(a: DefectEvent, b: DefectEvent): number {
  return a.startSec - b.startSec || a.type.localeCompare(b.type);
}

/** True when the track's current run is long enough, or sure enough, to be an event. */
function confirmed(track: Track): boolean {
  if (track.runStart === null) return false;
  const { minDurationSec, confirmScore } = track.rule;
  return track.runEnd - track.runStart >= minDurationSec - 1e-9 || (confirmScore !== undefined && track.peak >= confirmScore);
}

/** Adds one defective unit to a track's run. */
function extend(track: Track, end: number, score: number): void {
  track.runEnd = end;
  track.scoreSum += score;
  track.units += 1;
  track.peak = Math.max(track.peak, score);
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * One listener that forwards every callback to each of `listeners` in order (e.g. job events for
 * the API's live stream and alerts for the Notifier).
 *
 * @example
 * createAggregator({ listener: combineListeners(jobEvents, alerts) });
 */
export function combineListeners(...listeners: DefectListener[]): DefectListener {
  return {
    onDefectOpened: (streamId, event) => {
      for (const l of listeners) l.onDefectOpened?.(streamId, event);
    },
    onDefectClosed: (streamId, event) => {
      for (const l of listeners) l.onDefectClosed?.(streamId, event);
    },
  };
}
