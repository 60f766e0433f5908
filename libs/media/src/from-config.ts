import type { FramewatchConfig } from '@framewatch/config';
import type { MediaConverterOptions } from './converter';

/**
 * The converter options an app derives from its validated configuration; the app adds what
 * depends on who calls it (`allowLocalFiles`, a logger; the CLI also `allowUdpSources`).
 *
 * @example
 * const converter = createMediaConverter({ ...mediaOptionsFromConfig(config), allowLocalFiles: true, logger: log });
 */
export function mediaOptionsFromConfig(config: FramewatchConfig): MediaConverterOptions {
  return {
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    allowPrivateSources: config.allowPrivateSources,
    allowUdpSources: config.allowUdpSources,
    liveStallSec: config.liveStallSec,
    ioTimeoutSec: config.ioTimeoutSec,
    maxWallSec: config.maxWallSec,
    maxDurationSec: config.maxDurationSec,
    maxFramePixels: config.maxFramePixels,
    decodeThreads: config.decodeThreads,
  };
}
