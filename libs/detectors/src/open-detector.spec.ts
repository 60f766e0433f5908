import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMacroblockModelPath, openDetector } from './open-detector';

describe('openDetector', () => {
  it('finds the committed model from sources and scores frames with it', async () => {
    expect(defaultMacroblockModelPath()).toMatch(/libs[/\\]detectors[/\\]models[/\\]macroblocking\.onnx$/);
    const detector = await openDetector({ detectors: ['macroblocking'] });
    const { detectors } = await detector.describe();
    expect(detectors.map((d) => d.name)).toEqual(['macroblocking']);
    const w = 64;
    const h = 48;
    const luma = new Uint8Array(w * h).fill(100);
    const out = await detector.detect({
      streamId: 's',
      seq: 0,
      startSec: 0,
      endSec: 0.04,
      final: true,
      video: [{ index: 0, pts: 0, width: w, height: h, format: 'gray', planes: [luma] }],
      audio: [],
    } as never);
    const score = out.scores[0]?.scores['macroblocking'];
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThan(0.5); // a flat grey frame is no corruption
  });

  it('fails at start-up with CONFIG_INVALID for a missing or corrupt model file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fw-model-'));
    try {
      await expect(openDetector({ detectors: ['black', 'macroblocking'], macroblockingModel: join(dir, 'absent.onnx') })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('does not exist'),
      });
      const corrupt = join(dir, 'corrupt.onnx');
      await writeFile(corrupt, Buffer.from('not a model at all'));
      await expect(openDetector({ detectors: ['macroblocking'], macroblockingModel: corrupt })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ignores the model setting when macroblocking is not selected', async () => {
    const detector = await openDetector({ detectors: ['black'], macroblockingModel: '/nonexistent/model.onnx' });
    expect((await detector.describe()).detectors.map((d) => d.name)).toEqual(['black']);
  });
});
