import { awsPrices, estimateStreamHourCost, lambdaOneVcpuGb, medianRecord, savingPercent, transitionsPerJob } from './cost-model';
import type { JobMeasurement } from './cost-model';

// One minute of media: every count is multiplied by 60 to make a stream-hour.
const monolith: JobMeasurement = {
  topology: 'monolith',
  mediaSec: 60,
  videoFrames: 1500,
  cpuSecByApp: { monolith: 3 },
  peakMemBytesByApp: { monolith: 150e6, ffmpeg: 50e6 },
  rpcCalls: { detector: 0, stored: 0, aggregator: 0 },
  frameStore: { puts: 0, gets: 0, deletes: 0 },
};

const servicesS3: JobMeasurement = {
  topology: 'services-s3',
  mediaSec: 60,
  videoFrames: 1500,
  cpuSecByApp: { 'media-converter': 3, api: 0.1, detector: 0.8, aggregator: 0.2 },
  peakMemBytesByApp: { 'media-converter': 150e6, api: 100e6, detector: 200e6, aggregator: 100e6, ffmpeg: 50e6 },
  rpcCalls: { detector: 4, stored: 120, aggregator: 120 },
  frameStore: { puts: 60, gets: 120, deletes: 60 },
};

describe('estimateStreamHourCost', () => {
  it('prices a Fargate topology as CPU-seconds scaled to the hour plus peak memory held for the hour', () => {
    const cost = estimateStreamHourCost(monolith);
    // 3 CPU-s per media minute = 180 CPU-s per stream-hour = 0.05 vCPU-hours; 0.2 GB for 1 hour.
    expect(cost.usage['fargateVcpuHours']).toBeCloseTo(0.05, 10);
    expect(cost.usage['fargateGbHours']).toBeCloseTo(0.2, 10);
    expect(cost.totalUsd).toBeCloseTo(0.05 * awsPrices.fargateVcpuHour + 0.2 * awsPrices.fargateGbHour, 10);
    expect(Object.keys(cost.items)).toEqual(['fargateVcpu', 'fargateMemory']);
  });

  it('moves detector and aggregator to Lambda in services-s3 and bills the frames store and the state machine', () => {
    const cost = estimateStreamHourCost(servicesS3);
    // Fargate keeps the converter, the API and ffmpeg only.
    expect(cost.usage['fargateVcpuHours']).toBeCloseTo((3.1 * 60) / 3600, 10);
    expect(cost.usage['fargateGbHours']).toBeCloseTo(0.3, 10);
    expect(cost.usage['lambdaRequests']).toBe(244 * 60);
    expect(cost.usage['lambdaGbSeconds']).toBeCloseTo(1.0 * 60 * lambdaOneVcpuGb, 10);
    expect(cost.usage['s3Puts']).toBe(3600);
    expect(cost.usage['s3Gets']).toBe(7200);
    expect(cost.items['s3Requests']).toBeCloseTo((3600 * 0.005 + 7200 * 0.0004) / 1000, 10);
    // 60 batches × (1 Parallel + 2 detector Tasks + 2 aggregator Tasks) per media minute.
    expect(cost.usage['stateTransitions']).toBe(300 * 60);
    expect(cost.items['stepFunctions']).toBeCloseTo((18_000 * 0.025) / 1000, 10);
    expect(cost.totalUsd).toBeCloseTo(
      Object.values(cost.items).reduce((a, b) => a + b, 0),
      12,
    );
  });

  it('charges nothing for RPC between services: services costs what its processes use', () => {
    const services = estimateStreamHourCost({ ...servicesS3, topology: 'services', frameStore: { puts: 0, gets: 0, deletes: 0 } });
    expect(Object.keys(services.items)).toEqual(['fargateVcpu', 'fargateMemory']);
    expect(services.usage['fargateVcpuHours']).toBeCloseTo((4.1 * 60) / 3600, 10);
  });
});

describe('transitionsPerJob', () => {
  it('counts a Parallel state per batch plus a Task per detector and aggregator invocation', () => {
    expect(transitionsPerJob(servicesS3)).toBe(60 + 120 + 120);
  });
});

describe('savingPercent', () => {
  it('says how much cheaper the first cost is', () => {
    expect(savingPercent(1, 10)).toBeCloseTo(90, 10);
    expect(savingPercent(0, 0)).toBe(0);
  });
});

describe('medianRecord', () => {
  it('takes each field’s median on its own, a missing field counting as 0', () => {
    expect(medianRecord([{ a: 1, b: 9 }, { a: 3, b: 1 }, { a: 2 }])).toEqual({ a: 2, b: 1 });
  });
});
