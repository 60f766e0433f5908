export { analyzeLocally, apiClient, ensureBundles, repoRoot, scratch, serve } from './support';
export type { Served } from './support';
export { startMediaServer } from './media-server';
export type { MediaServer } from './media-server';
export { killAndResume, killLiveAndResume, restartableMonolith } from './kill-restart';
export type { KillRestartOutcome, LiveKillRestartOutcome, RestartableMonolith } from './kill-restart';
export { startLiveHls } from './live-hls';
export type { LiveHls } from './live-hls';
