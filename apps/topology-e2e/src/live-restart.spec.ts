import path from 'node:path';
import { killLiveAndResume, scratch, startLiveHls } from '@framewatch/e2e-support';
import type { LiveHls } from '@framewatch/e2e-support';

jest.setTimeout(180_000);

// Issue 6, long-running jobs: a live job's events are checkpointed as they open and close, and
// after a crash the job resumes (lease expiry) on the same timeline without alerting twice.
describe('monolith killed with SIGKILL while a live job has an open defect', () => {
  let source: LiveHls;

  beforeAll(async () => {
    // Black from 4 s to 6.5 s of the encoder's time, silence from 8 s to 11 s.
    source = await startLiveHls(path.join(scratch, 'live-restart'));
  });

  afterAll(async () => {
    await source?.close();
  });

  it('resumes after the lease expires, keeps the alerted event, and goes on to find the next defect', async () => {
    const outcome = await killLiveAndResume(source.url, path.join(scratch, 'data-live-restart'), { type: 'black', thenType: 'silence' });

    // While the first attempt ran, the served report was its checkpoint, the black event open.
    expect(outcome.checkpoint).toMatchObject({ status: 'running', checkpoint: { open: [expect.objectContaining({ type: 'black' })] } });
    const checkpointed = outcome.checkpoint.checkpoint?.open.find((e) => e.type === 'black');

    expect(outcome.job).toMatchObject({ status: 'cancelled', attempts: 2 });
    const { report } = outcome;
    expect(report).toMatchObject({ status: 'cancelled', stats: { resumes: 1 } });
    expect(report.checkpoint).toBeUndefined();
    expect(report.stats.unmonitoredSec).toBeGreaterThan(0);
    // One black event, on the first attempt's timeline, however the resumed attempt found it.
    const blacks = report.defects.filter((d) => d.type === 'black');
    expect(blacks).toHaveLength(1);
    expect(blacks[0]?.startSec).toBe(checkpointed?.startSec);
    // The silence, found by the second attempt, comes later on the same timeline.
    const silence = report.defects.find((d) => d.type === 'silence');
    expect(silence).toBeDefined();
    const after = (silence?.startSec ?? 0) - (blacks[0]?.startSec ?? 0);
    expect(after).toBeGreaterThan(3);
    expect(after).toBeLessThan(15);

    // Alerts: the black one went out once, before the crash; both attempts ran.
    const opened = outcome.events.filter((e) => e.type === 'defect.opened').map((e) => e.data['type']);
    expect(opened.filter((t) => t === 'black')).toHaveLength(1);
    expect(opened).toContain('silence');
    expect(outcome.events.filter((e) => e.type === 'status' && e.data['status'] === 'running')).toHaveLength(2);
  });
});
