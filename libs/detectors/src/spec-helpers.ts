/**
 * Synthetic frames and chunks for this library's tests: built in memory, no ffmpeg needed.
 */
import type { AudioChunk, FrameBatch, VideoFrame } from '@framewatch/frame-codec';

/** A luma plane filled by `value(x, y)`, clamped to 0–255. */
export function plane(width: number, height: number, value: (x: number, y: number) => number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(value(x, y))));
  return data;
}

/** A luma plane whose every row is `value(x)`: quick to build for tests that need many frames. */
export function columns(width: number, height: number, value: (x: number) => number): Uint8Array {
  const row = plane(width, 1, value);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) data.set(row, y * width);
  return data;
}

/** Vertical bars 32 px wide (luma 40 and 200) moved 4 px right per frame: plenty of motion. */
export function movingBars(width: number, height: number, t: number): Uint8Array {
  return columns(width, height, (x) => (Math.floor((x + 4 * t) / 32) % 2 === 0 ? 200 : 40));
}

/** A smooth gradient with mild texture, moved `shift` pixels: clean content with no edge on the macroblock grid. */
export function smoothGradient(width: number, height: number, shift: number): Uint8Array {
  const p = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) p[y * width + x] = Math.round(60 + 0.3 * (x + shift) + 0.2 * y + 4 * Math.sin((x + y + shift) / 3));
  return p;
}

/** A sharp 24-pixel checkerboard (luma 50 and 200) moved `shift` pixels right: edges that slide across the 16-pixel grid. */
export function checkerboard(width: number, height: number, shift: number): Uint8Array {
  return plane(width, height, (x, y) => ((Math.floor((x - shift) / 24) + Math.floor(y / 24)) % 2 === 0 ? 200 : 50));
}

/** `p` (in place) with 16×16 blocks 3–16 of macroblock rows 4 and 5 replaced by flat, wrong blocks, as a lost slice leaves them. */
export function withLostSlice(p: Uint8Array, width: number): Uint8Array {
  for (let by = 4; by < 6; by++) {
    for (let bx = 3; bx < 17; bx++) {
      const v = (bx * 37 + by * 11) % 255;
      for (let y = by * 16; y < by * 16 + 16; y++) p.fill(v, y * width + bx * 16, y * width + bx * 16 + 16);
    }
  }
  return p;
}

/** A gray frame at 25 fps with the given plane. */
export function frame(index: number, data: Uint8Array, width = 320, height = 180): VideoFrame {
  return { pts: index / 25, index, width, height, format: 'gray', planes: [data] };
}

/** A 40 ms interleaved chunk at 48 kHz whose channel `c` sample `i` is `value(i, c)`. */
export function chunk(index: number, channels: number, value: (i: number, c: number) => number, frames = 1920): AudioChunk {
  const samples = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) samples[i * channels + c] = value(i, c);
  return { pts: index * 0.04, index, sampleRate: 48000, channels, samples };
}

/** A sine of peak `amplitude` at `hz` (48 kHz sample clock). */
export function sine(amplitude: number, hz: number): (i: number) => number {
  return (i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 48000);
}

/** A batch of a stream; `seq` 0 starts the stream. */
export function batch(streamId: string, seq: number, video: VideoFrame[], audio: AudioChunk[] = [], final = false): FrameBatch {
  const times = [...video.map((f) => f.pts), ...audio.map((c) => c.pts)];
  const startSec = times.length > 0 ? Math.min(...times) : 0;
  const endSec = times.length > 0 ? Math.max(...times) + 0.04 : 0;
  return { streamId, seq, startSec, endSec, video, audio, final };
}
