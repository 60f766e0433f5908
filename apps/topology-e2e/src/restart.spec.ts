import path from 'node:path';
import { analyzeLocally, killAndResume, scratch } from '@framewatch/e2e-support';
import { generateFixture } from '@framewatch/fixtures';

jest.setTimeout(240_000);

// RELIABILITY R3 on the monolith with the embedded SQLite job store.
describe('monolith killed with SIGKILL mid-analysis', () => {
  it('resumes the job after its lease expires and completes it exactly once', async () => {
    const fixture = await generateFixture('bench-720p', path.join(scratch, 'fixtures'));
    const expected = analyzeLocally(fixture.mediaPath);
    const outcome = await killAndResume(fixture.mediaPath, path.join(scratch, 'data-restart'));
    expect(outcome.job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(outcome.report.defects).toEqual(expected.defects);
    expect(outcome.report.stats.videoFrames).toBe(expected.stats.videoFrames);
    expect(outcome.statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
    expect(outcome.statuses.filter((s) => s === 'failed' || s === 'cancelled')).toHaveLength(0);
    expect(outcome.statuses.filter((s) => s === 'running')).toHaveLength(2);
  });
});
