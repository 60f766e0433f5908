import path from 'node:path';
import { analyzeLocally, apiClient, killAndResume, killLiveAndResume, scratch, serve, startLiveHls, startMediaServer } from '@framewatch/e2e-support';
import type { MediaServer, Served } from '@framewatch/e2e-support';
import { startLocalAws } from '@framewatch/emulators';
import type { LocalAws } from '@framewatch/emulators';
import { generateFixture } from '@framewatch/fixtures';
import type { AnalysisResult } from '@framewatch/pipeline';
import { subscribeToAlerts } from './sns-subscriber';
import type { SnsSubscriber } from './sns-subscriber';

jest.setTimeout(240_000);

// The AWS adapters end to end: every process of services-s3 on DynamoDB, S3 and SNS (emulated on
// loopback), compared with `framewatch analyze` on the same clips.

const fixturesDir = path.join(scratch, 'fixtures');
const clips = ['demo', 'black', 'silence'] as const;
let aws: LocalAws;
let media: MediaServer;
let subscriber: SnsSubscriber;
const reference = new Map<string, AnalysisResult>();

beforeAll(async () => {
  aws = await startLocalAws({ dir: path.join(scratch, 'local-aws') });
  subscriber = await subscribeToAlerts(aws.env);
  for (const clip of clips) reference.set(clip, analyzeLocally((await generateFixture(clip, fixturesDir)).mediaPath));
  media = await startMediaServer(fixturesDir);
});

afterAll(async () => {
  await media?.close();
  await subscriber?.close();
  await aws?.stop();
});

describe('services-s3 on the AWS adapters', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve('services-s3', path.join(scratch, 'data-aws'), ['--store', 'aws'], aws.env);
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('gives the same defects as the local store and publishes an alert per defect opened and closed', async () => {
    const api = apiClient(served.url, served.token);
    subscriber.reset();
    let expectedAlerts = 0;
    for (const clip of clips) {
      const submitted = await api.submitUrl(`${media.url}/${clip}.mp4`);
      expect(submitted.status).toBe(202);
      const job = await api.waitTerminal(submitted.body.id);
      expect(job.status).toBe('succeeded');
      const report = await api.report(submitted.body.id);
      const strip = (r: AnalysisResult) => r.defects.map(({ type, startSec, endSec, confidence }) => ({ type, startSec, endSec, confidence }));
      expect(strip(report)).toEqual(strip(reference.get(clip) as AnalysisResult));
      expectedAlerts += 2 * report.defects.length;
    }
    const hits = await subscriber.waitFor(expectedAlerts, 20_000);
    const ids = new Set(hits.map((h) => h.envelope.MessageAttributes?.['alertId']?.Value));
    expect(ids.size).toBe(expectedAlerts);
    const kinds = hits.map((h) => h.envelope.MessageAttributes?.['kind']?.Value);
    expect(kinds.filter((k) => k === 'opened')).toHaveLength(expectedAlerts / 2);
    expect(kinds.filter((k) => k === 'closed')).toHaveLength(expectedAlerts / 2);
  });
});

describe('monolith on the DynamoDB job store, killed with SIGKILL mid-analysis', () => {
  it('ends the job in exactly one terminal state', async () => {
    const fixture = await generateFixture('bench-720p', fixturesDir);
    const expected = analyzeLocally(fixture.mediaPath);
    const outcome = await killAndResume(fixture.mediaPath, path.join(scratch, 'data-aws-restart'), aws.env);
    expect(outcome.job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(outcome.report.defects).toEqual(expected.defects);
    expect(outcome.statuses.filter((s) => s === 'succeeded' || s === 'failed' || s === 'cancelled')).toEqual(['succeeded']);
  });
});

describe('a live job on DynamoDB and S3, its monolith killed with SIGKILL during a defect', () => {
  it('is checkpointed to S3 and resumed from there on the same timeline, alerting once', async () => {
    // Black from 4 s to 6.5 s of the encoder's time, silence from 8 s to 11 s.
    const source = await startLiveHls(path.join(scratch, 'live-aws-restart'));
    try {
      const outcome = await killLiveAndResume(source.url, path.join(scratch, 'data-aws-live-restart'), { type: 'black', thenType: 'silence' }, aws.env);
      expect(outcome.checkpoint).toMatchObject({ status: 'running', checkpoint: { open: [expect.objectContaining({ type: 'black' })] } });
      expect(outcome.job).toMatchObject({ status: 'cancelled', attempts: 2 });
      expect(outcome.report).toMatchObject({ status: 'cancelled', stats: { resumes: 1 } });
      expect(outcome.report.defects.filter((d) => d.type === 'black')).toHaveLength(1);
      expect(outcome.report.defects.some((d) => d.type === 'silence')).toBe(true);
      const opened = outcome.events.filter((e) => e.type === 'defect.opened').map((e) => e.data['type']);
      expect(opened.filter((t) => t === 'black')).toHaveLength(1);
    } finally {
      await source.close();
    }
  });
});
