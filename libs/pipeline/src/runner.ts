import type { DetectionBatch, FrameBatch } from '@framewatch/frame-codec';
import { CancelledError, InputError } from '@framewatch/errors';
import { compareDefects } from './aggregator';
import { DefectType } from './contracts';
import type {
  Aggregator,
  AnalysisResult,
  DefectEvent,
  DecodeOptions,
  DecodeSpec,
  Detector,
  DetectorInfo,
  MediaConverter,
  MediaInfo,
  MediaNeeds,
  SourceEvent,
  SourceRef,
} from './contracts';

/** The components an analysis runs on; each may be local or a remote binding. */
export interface RunnerComponents {
  converter: MediaConverter;
  /** One entry per detector group; the converter's batches fan out to every group. */
  detectors: Detector[];
  aggregator: Aggregator;
}

/** Progress of a running analysis, reported after every batch. */
export interface AnalysisProgress {
  mediaSec: number;
  durationSec: number | null;
  videoFrames: number;
  audioChunks: number;
}

/** One analysis to run. */
export interface AnalysisRequest {
  id: string;
  source: SourceRef;
  /** Name shown in the report (`source` field); the URL or file name by default. */
  sourceLabel?: string;
  framesPerBatch?: number;
  /** Aborting it abandons the analysis: runAnalysis throws CancelledError. */
  signal?: AbortSignal;
  /**
   * Aborting it ends the analysis early but cleanly, as Ctrl-C ends a live one: decoding stops,
   * batches already decoded are scored, open events close at the last media time seen, and the
   * result has status `cancelled` with everything seen so far.
   */
  stopSignal?: AbortSignal;
  /** Source-level events while decoding (see `DecodeOptions.onSourceEvent`). */
  onSourceEvent?: DecodeOptions['onSourceEvent'];
  /**
   * A live source (no known end) is *degraded* while the analysis runs more than this many
   * seconds behind real time: its media time falls behind the wall clock by that much more than
   * at its best (default 10 s). Reported through {@link onDegraded} and in the result's stats.
   */
  maxBehindSec?: number;
  /** Called when a live analysis becomes degraded, and again when it has caught up. */
  onDegraded?: (state: { degraded: boolean; behindSec: number; skippedSegments: number }) => void;
  /**
   * A live source only: the stored checkpoint of an earlier attempt of this analysis (a report
   * with status `running` and a `checkpoint`). The analysis continues its timeline: the time
   * since the checkpoint counts as unmonitored, its closed events stay, its open ones continue if
   * the defect is still there (no second alert) or close where they were last seen.
   */
  resume?: AnalysisResult;
  /**
   * A live source only: receives a checkpoint (the report so far, status `running`) whenever an
   * event opens or closes, and every `checkpointSec` in any case, so that it can be stored.
   * Called in order; a throw is ignored.
   */
  onCheckpoint?: (checkpoint: AnalysisResult) => void;
  /** Seconds between checkpoints of open events (default 10). */
  checkpointSec?: number;
  /** Batches detected concurrently while later ones decode (≥ 1). */
  maxInFlight?: number;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Called once the probe succeeded, before decoding starts. */
  onMedia?: (media: MediaInfo) => void;
}

/**
 * The decode that serves every detector: luma at the largest size asked for (0×0, the source's
 * own size, wins over any reduced size) and audio at the highest rate and channel count asked for.
 */
export function mergeNeeds(needs: MediaNeeds[], media: MediaInfo, framesPerBatch: number): DecodeSpec {
  let size: { width: number; height: number } | null = null;
  let deblocked = false;
  let decoderReports = false;
  let audio: DecodeSpec['audio'] = null;
  for (const need of needs) {
    if (need.video && media.video) {
      deblocked ||= need.video.deblocked === true;
      decoderReports ||= need.video.decoderReports === true;
      if (!size) size = { width: need.video.width, height: need.video.height };
      else if (need.video.width === 0 || size.width === 0) size = { width: 0, height: 0 };
      else size = { width: Math.max(size.width, need.video.width), height: Math.max(size.height, need.video.height) };
    }
    if (need.audio && media.audio) {
      audio = audio
        ? { sampleRate: Math.max(audio.sampleRate, need.audio.sampleRate), channels: Math.max(audio.channels, need.audio.channels) }
        : { ...need.audio };
    }
  }
  if (size && media.video && size.width > 0 && (size.width >= media.video.width || size.height >= media.video.height)) {
    // Never upscale: a reduced size at or above the source's is just the source's size.
    size = { width: 0, height: 0 };
  }
  // A full-resolution picture is what a viewer sees, so it is always deblocked.
  const video: DecodeSpec['video'] = size ? { ...size, deblocked: deblocked || size.width === 0, ...(decoderReports ? { decoderReports } : {}) } : null;
  return { video, audio, framesPerBatch };
}

/**
 * Runs one analysis in this process: probe, decode, fan each batch out to every detector group,
 * aggregate. Decoding runs ahead in ffmpeg while the detectors score earlier batches; up to
 * `maxInFlight` batches are in detection at once, and results are ingested in order.
 *
 * @example
 * const result = await runAnalysis(
 *   { converter: createMediaConverter(opts), detectors: [createDetector()], aggregator: createAggregator() },
 *   { id: 'an-1', source: { url: 'clip.mp4' } },
 * );
 */
export async function runAnalysis(components: RunnerComponents, request: AnalysisRequest): Promise<AnalysisResult> {
  const { converter, detectors, aggregator } = components;
  const started = performance.now();
  const signal = request.signal;
  throwIfAborted(signal);

  // A stop before anything was decoded leaves nothing to report: the probe is abandoned.
  const probeStop = AbortSignal.any([signal, request.stopSignal].filter((s): s is AbortSignal => s !== undefined));
  const media = await converter.probe(request.source, probeStop);
  request.onMedia?.(media);
  const groups = await Promise.all(detectors.map((d) => d.describe()));
  const infos: DetectorInfo[] = groups.flatMap((g) => g.detectors);
  // What each group looks at: a group is sent only the streams its detectors need.
  const groupUses = groups.map((g) => ({
    video: g.detectors.some((d) => d.needs.video !== null),
    audio: g.detectors.some((d) => d.needs.audio !== null),
  }));
  const spec = mergeNeeds(
    infos.map((i) => i.needs),
    media,
    request.framesPerBatch ?? 25,
  );
  if (!spec.video && !spec.audio) {
    throw new InputError('INPUT_UNSUPPORTED', 'the source has no stream the selected detectors can analyse');
  }
  // Only the detectors whose input exists can produce scores.
  const active = infos.filter((i) => (i.needs.video ? spec.video !== null : true) && (i.needs.audio ? spec.audio !== null : true));
  // A live source must be watched in real time; the runner notices when it cannot keep up.
  const pace = media.durationSec === null ? createPaceWatch(request.maxBehindSec ?? 10, request.onDegraded) : null;
  // A source without a known end (a live stream) can lose its signal; the runner reports that.
  const signalWatch = media.durationSec === null ? createSignalWatch(aggregator, request.id, () => carried.offsetSec + mediaSec) : null;
  // A resumed live analysis goes on where its last checkpoint left off, plus the time since.
  const resumed = media.durationSec === null ? request.resume?.checkpoint : undefined;
  const carried = resumed && request.resume ? resumedState(request.resume, resumed) : FIRST_ATTEMPT;
  await aggregator.start({
    streamId: request.id,
    source: request.source.url,
    media,
    detectors: signalWatch ? [...active, signalLossDetector] : active,
    ...(resumed ? { resume: { closed: request.resume?.defects ?? [], open: resumed.open } } : {}),
  });
  const checkpoints =
    media.durationSec === null && request.onCheckpoint
      ? createCheckpointer(aggregator, request.id, request.checkpointSec ?? 10, (events) => emitCheckpoint(events))
      : null;

  let videoFrames = 0;
  let audioChunks = 0;
  let mediaSec = 0;
  // Batches in detection, oldest first; each entry settles once its scores are ingested. Scores go
  // to the aggregator as soon as their batch is scored (in order), not when a later batch arrives:
  // on a live stream the next batch is up to a second away, and so would every alert be.
  const window: Promise<void>[] = [];
  const maxInFlight = Math.max(1, request.maxInFlight ?? 2);
  const inGroup: Promise<void>[] = detectors.map(() => Promise.resolve());
  let ingested: Promise<void> = Promise.resolve();

  const drainOne = async (): Promise<void> => {
    await window.shift();
  };

  // The decode stops on either signal; only `signal` abandons the analysis.
  const decodeStop = new AbortController();
  const stopDecode = (): void => decodeStop.abort();
  signal?.addEventListener('abort', stopDecode, { once: true });
  request.stopSignal?.addEventListener('abort', stopDecode, { once: true });
  if (request.stopSignal?.aborted) decodeStop.abort();
  const stopped = (): boolean => request.stopSignal?.aborted === true && signal?.aborted !== true;
  try {
    try {
      const onSourceEvent = (event: SourceEvent): void => {
        signalWatch?.onSourceEvent(event);
        // Time the source itself was silent is not time the analysis fell behind.
        if (event.type === 'resumed' && typeof event['stalledForMs'] === 'number') pace?.excuse(event['stalledForMs'] / 1000);
        // Segments that rolled off before they were read: the analysis did not keep up.
        if (event.type === 'skipped' && typeof event['count'] === 'number') pace?.skipped(event['count']);
        request.onSourceEvent?.(event);
      };
      for await (const batch of converter.decode(request.source, spec, { streamId: request.id, signal: decodeStop.signal, onSourceEvent })) {
        throwIfAborted(signal);
        if (stopped()) break;
        // A group scores a stream's batches one after another (its state, e.g. freeze's previous
        // frame, needs seq order, and two HTTP calls in flight could arrive swapped); different
        // groups, and decoding, still run in parallel.
        const pending = Promise.all(
          detectors.map((d, i) => {
            const part = projectBatch(batch, groupUses[i] ?? { video: true, audio: true });
            const scored = (inGroup[i] ?? Promise.resolve()).then(() => d.detect(part));
            inGroup[i] = scored.then(
              () => undefined,
              () => undefined,
            );
            return scored;
          }),
        );
        ingested = ingested.then(async () => {
          const results = await pending;
          if (results.length > 0) await aggregator.ingest(onTimeline(mergeDetections(results), carried.offsetSec));
          checkpoints?.poke();
        });
        // Observed by drainOne; avoid an unhandled rejection meanwhile.
        pending.catch(() => undefined);
        ingested.catch(() => undefined);
        window.push(ingested);
        if (resumed && videoFrames + audioChunks === 0) signalWatch?.present(carried.offsetSec + batch.startSec);
        count(batch);
        pace?.observe(batch.endSec);
        if (window.length >= maxInFlight) await drainOne();
        request.onProgress?.({ mediaSec, durationSec: media.durationSec, videoFrames, audioChunks });
      }
    } catch (err) {
      // A stop ends the decode with CancelledError; what was decoded is still scored below.
      if (!(err instanceof CancelledError && stopped())) throw err;
    }
    while (window.length > 0) await drainOne();
    await signalWatch?.finish();
    throwIfAborted(signal);
  } finally {
    await checkpoints?.stop();
    signal?.removeEventListener('abort', stopDecode);
    request.stopSignal?.removeEventListener('abort', stopDecode);
    await Promise.all(detectors.map((d) => d.release(request.id).catch(() => undefined)));
  }

  const defects = await aggregator.finish(request.id);
  const wallSec = (performance.now() - started) / 1000;
  const analysedSec = media.durationSec ?? mediaSec;
  return {
    schemaVersion: 1,
    id: request.id,
    source: request.sourceLabel ?? request.source.url,
    status: stopped() ? 'cancelled' : 'succeeded',
    media: { durationSec: media.durationSec, video: media.video, audio: media.audio },
    stats: stats(wallSec, analysedSec),
    defects,
  };

  function stats(wallSec: number, analysedSec: number): AnalysisResult['stats'] {
    return {
      videoFrames: carried.videoFrames + videoFrames,
      audioChunks: carried.audioChunks + audioChunks,
      wallSec: Math.round(wallSec * 1000) / 1000,
      speed: wallSec > 0 ? Math.round((analysedSec / wallSec) * 10) / 10 : 0,
      ...(pace ? pace.stats() : {}),
      ...(resumed ? { resumes: carried.resumes, unmonitoredSec: carried.unmonitoredSec } : {}),
    };
  }

  function emitCheckpoint(events: { closed: DefectEvent[]; open: DefectEvent[] }): void {
    const wallSec = (performance.now() - started) / 1000;
    const checkpoint: AnalysisResult = {
      schemaVersion: 1,
      id: request.id,
      source: request.sourceLabel ?? request.source.url,
      status: 'running',
      media: { durationSec: media.durationSec, video: media.video, audio: media.audio },
      stats: stats(wallSec, mediaSec),
      defects: [...events.closed].sort(compareDefects),
      checkpoint: { savedAt: new Date().toISOString(), mediaSec: round3(carried.offsetSec + mediaSec), open: events.open },
    };
    try {
      request.onCheckpoint?.(checkpoint);
    } catch {
      // Storing checkpoints is the caller's business; it never stops the analysis.
    }
  }

  function count(batch: FrameBatch): void {
    videoFrames += batch.video.length;
    audioChunks += batch.audio.length;
    mediaSec = Math.max(mediaSec, batch.endSec);
  }
}

/** What an analysis takes over from earlier attempts: nothing, for the first. */
const FIRST_ATTEMPT = { offsetSec: 0, resumes: 0, unmonitoredSec: 0, videoFrames: 0, audioChunks: 0 } as const;

/** What a resumed analysis takes over from its checkpoint. */
function resumedState(previous: AnalysisResult, checkpoint: NonNullable<AnalysisResult['checkpoint']>): { [K in keyof typeof FIRST_ATTEMPT]: number } {
  const savedAt = Date.parse(checkpoint.savedAt);
  const gapSec = Number.isFinite(savedAt) ? Math.max(0, (Date.now() - savedAt) / 1000) : 0;
  return {
    offsetSec: round3(checkpoint.mediaSec + gapSec),
    resumes: (previous.stats.resumes ?? 0) + 1,
    unmonitoredSec: round3((previous.stats.unmonitoredSec ?? 0) + gapSec),
    videoFrames: previous.stats.videoFrames,
    audioChunks: previous.stats.audioChunks,
  };
}

/** A batch's scores moved `offsetSec` later, onto the timeline of an analysis that was resumed. */
function onTimeline(batch: DetectionBatch, offsetSec: number): DetectionBatch {
  if (offsetSec === 0) return batch;
  return { ...batch, scores: batch.scores.map((s) => ({ ...s, pts: s.pts + offsetSec })) };
}

/**
 * Takes the aggregator's snapshot of a live stream after every scored batch and every
 * `everySec`, and hands it on when an event opened or closed since the last one, or on the timer
 * in any case (open events' ends move). Closed events are fetched once each. Snapshots run one at
 * a time, off the path that delivers alerts; one that fails is skipped (the next one retries).
 */
function createCheckpointer(aggregator: Aggregator, streamId: string, everySec: number, emit: (events: { closed: DefectEvent[]; open: DefectEvent[] }) => void) {
  const closed: DefectEvent[] = [];
  let openKey = '';
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const take = (always: boolean): void => {
    chain = chain
      .then(async () => {
        if (stopped) return;
        const snap = await aggregator.snapshot(streamId, closed.length);
        closed.push(...snap.closed);
        const key = snap.open.map((e) => `${e.type}@${e.startSec}`).join(',');
        if (!always && snap.closed.length === 0 && key === openKey) return;
        openKey = key;
        emit({ closed, open: snap.open });
      })
      .catch(() => undefined);
  };
  const timer = setInterval(() => take(true), Math.max(0.1, everySec) * 1000);
  timer.unref();
  return {
    poke: (): void => take(false),
    async stop(): Promise<void> {
      clearInterval(timer);
      await chain;
      stopped = true;
    },
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The part of a batch one detector group uses: a video-only group is not sent the audio, nor an
 * audio-only group the pictures. In-process this is free; across processes it halves the bytes
 * moved when two groups split the work.
 */
export function projectBatch(batch: FrameBatch, uses: { video: boolean; audio: boolean }): FrameBatch {
  if ((uses.video || batch.video.length === 0) && (uses.audio || batch.audio.length === 0)) return batch;
  return { ...batch, video: uses.video ? batch.video : [], audio: uses.audio ? batch.audio : [] };
}

/**
 * One DetectionBatch from every group's scores for the same FrameBatch, so the aggregator is
 * called once per batch however many groups there are (each detector's scores stay separate:
 * the aggregator tracks every detector on its own).
 */
export function mergeDetections(results: DetectionBatch[]): DetectionBatch {
  const [first] = results;
  if (results.length === 1 && first) return first;
  return {
    streamId: first?.streamId ?? '',
    seq: first?.seq ?? 0,
    group: results.map((r) => r.group).join('+'),
    detectors: results.flatMap((r) => r.detectors),
    scores: results.flatMap((r) => r.scores),
    final: results.some((r) => r.final),
  };
}

/**
 * Watches a live analysis keep pace with real time: how far its media time falls behind the wall
 * clock, relative to its best (the first segments are read faster than real time, and a
 * segmented source is always some seconds behind). Degraded above `maxBehindSec` or as soon as
 * the source's reader had to skip segments that rolled off its window; recovered below half of
 * `maxBehindSec`.
 */
function createPaceWatch(maxBehindSec: number, onDegraded: AnalysisRequest['onDegraded']) {
  let first: { wallMs: number; mediaSec: number } | null = null;
  let best = Infinity;
  let worst = 0;
  let degraded = false;
  let everDegraded = false;
  let excused = 0;
  let skippedSegments = 0;
  let behind = 0;
  return {
    /** The source's reader lost `count` segments it could not read in time: degraded at once. */
    skipped(count: number): void {
      skippedSegments += count;
      everDegraded = true;
      if (!degraded) {
        degraded = true;
        onDegraded?.({ degraded, behindSec: Math.round(behind * 10) / 10, skippedSegments });
      }
    },
    /** Wall time the source delivered nothing (a stall): not held against the analysis. */
    excuse(sec: number): void {
      excused += sec;
    },
    observe(mediaSec: number): void {
      const now = performance.now();
      first ??= { wallMs: now, mediaSec };
      const lag = (now - first.wallMs) / 1000 - excused - (mediaSec - first.mediaSec);
      best = Math.min(best, lag);
      behind = lag - best;
      worst = Math.max(worst, behind);
      if (!degraded && behind > maxBehindSec) {
        degraded = everDegraded = true;
        onDegraded?.({ degraded, behindSec: Math.round(behind * 10) / 10, skippedSegments });
      } else if (degraded && behind < maxBehindSec / 2) {
        degraded = false;
        onDegraded?.({ degraded, behindSec: Math.round(behind * 10) / 10, skippedSegments });
      }
    },
    stats(): { degraded: boolean; maxBehindSec: number; skippedSegments: number } {
      return { degraded: everDegraded, maxBehindSec: Math.round(worst * 10) / 10, skippedSegments };
    },
  };
}

/** The pseudo-detector under which the runner reports a live source's loss of signal. */
export const signalLossDetector: DetectorInfo = { name: 'signal', defect: DefectType.signalLoss, needs: { video: null, audio: null } };

/**
 * Turns a live source's `stalled`/`resumed` events into `signal_loss` scores for the aggregator:
 * the event opens at the media time reached when the source stalled (so the alert goes out at
 * once) and closes when segments come back, lasting as long as the source was silent in wall
 * time (media time stands still meanwhile). Scores are ingested in event order.
 */
function createSignalWatch(aggregator: Aggregator, streamId: string, mediaSec: () => number) {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let lost: { atSec: number; sinceMs: number } | null = null;
  let index = 0;
  const ingest = (units: { pts: number; durationSec: number; score: number }[]): void => {
    const scores = units.map((u) => ({ target: 'video' as const, index: index++, pts: u.pts, durationSec: u.durationSec, scores: { [signalLossDetector.name]: u.score } }));
    const batch: DetectionBatch = { streamId, seq: -1, group: 'source', detectors: [signalLossDetector.name], scores, final: false };
    chain = chain.then(() => aggregator.ingest(batch)).catch((err: unknown) => {
      failure ??= err;
    });
  };
  const close = (lostForSec: number): void => {
    if (!lost) return;
    ingest([
      { pts: lost.atSec, durationSec: lostForSec, score: 1 },
      { pts: lost.atSec + lostForSec, durationSec: 0.001, score: 0 },
    ]);
    lost = null;
  };
  return {
    /**
     * The source delivers media at `atSec`: ends a signal loss carried over from an earlier
     * attempt (the aggregator closes it where that attempt last saw it).
     */
    present(atSec: number): void {
      if (!lost) ingest([{ pts: atSec, durationSec: 0.001, score: 0 }]);
    },
    onSourceEvent(event: SourceEvent): void {
      if (event.type === 'stalled' && !lost) {
        const sinceMs = typeof event['sinceMs'] === 'number' ? event['sinceMs'] : performance.now();
        lost = { atSec: mediaSec(), sinceMs };
        ingest([{ pts: lost.atSec, durationSec: 0, score: 1 }]);
      } else if (event.type === 'resumed' && lost) {
        const stalledForMs = typeof event['stalledForMs'] === 'number' ? event['stalledForMs'] : performance.now() - lost.sinceMs;
        close(stalledForMs / 1000);
      }
    },
    /** Closes a loss still open (the analysis stopped during it) and waits for every ingest. */
    async finish(): Promise<void> {
      if (lost) close((performance.now() - lost.sinceMs) / 1000);
      await chain;
      if (failure) throw failure;
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
