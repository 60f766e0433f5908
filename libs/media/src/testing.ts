/**
 * Test support (`@framewatch/media/testing`, for tests only): a real-time MPEG-TS sender on
 * loopback for live UDP and SRT sources, and a free UDP port.
 */
export { freeUdpPort, startTsSender } from './testing/live-sender';
export type { SenderTimeline, TsSender } from './testing/live-sender';
