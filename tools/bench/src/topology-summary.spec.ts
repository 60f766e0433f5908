import { parseStat, parseStatusBytes } from './procfs';
import { summarizeTopology, transportTotals } from './topology-summary';
import type { SampleInput } from './topology-summary';
import { parseTransportLine } from './transport-log';

const s3Transport = {
  rpc: { calls: 250, attempts: 250, retries: 0, bytesSent: 300_000, bytesReceived: 300_000 },
  calls: { detector: 4, stored: 122, aggregator: 124 },
  frameStore: { puts: 61, gets: 0, deletes: 61, bytesWritten: 110_000_000, bytesRead: 0 },
};

function sample(overrides: Partial<SampleInput>): SampleInput {
  return {
    topology: 'services-s3',
    wallSec: 3,
    jobWallSec: 2.9,
    mediaSec: 60,
    videoFrames: 1500,
    cpuSecByApp: { 'media-converter': 3, detector: 1 },
    peakMemBytesByApp: { 'media-converter': 100e6, detector: 200e6 },
    transport: s3Transport,
    ...overrides,
  };
}

describe('transportTotals', () => {
  it('takes frames-store GETs from detectStored calls and their bytes as one whole batch per GET', () => {
    const totals = transportTotals(s3Transport);
    expect(totals['gets']).toBe(122);
    expect(totals['frameStoreBytes']).toBeCloseTo(110_000_000 * 3, 0);
    expect(totals['rpcBytes']).toBe(600_000);
  });

  it('counts zero store traffic for topologies without a frames store', () => {
    const totals = transportTotals({ ...s3Transport, calls: { detector: 126, stored: 0, aggregator: 124 }, frameStore: null });
    expect(totals).toMatchObject({ puts: 0, gets: 0, deletes: 0, frameStoreBytes: 0 });
  });
});

describe('summarizeTopology', () => {
  it('reports medians over runs and divides transport by video frames', () => {
    const summary = summarizeTopology([
      sample({ wallSec: 5, cpuSecByApp: { 'media-converter': 4, detector: 1 } }),
      sample({ wallSec: 3 }),
      sample({ wallSec: 4, cpuSecByApp: { 'media-converter': 2, detector: 1 } }),
    ]);
    expect(summary.wallSec).toBe(4);
    expect(summary.cpuSec).toBe(4);
    expect(summary.peakMemBytes).toBe(300e6);
    expect(summary.perFrame.puts).toBeCloseTo(61 / 1500, 10);
    expect(summary.perFrame.bytes).toBeCloseTo((600_000 + 330_000_000) / 1500, 6);
    expect(summary.measurement.frameStore).toEqual({ puts: 61, gets: 122, deletes: 61 });
    expect(summary.measurement.rpcCalls).toEqual({ detector: 4, stored: 122, aggregator: 124 });
  });

  it('refuses samples of different topologies', () => {
    expect(() => summarizeTopology([sample({}), sample({ topology: 'monolith' })])).toThrow(/one topology/);
  });
});

describe('parseTransportLine', () => {
  it('reads a forwarded job transport line and ignores every other line', () => {
    const json = JSON.stringify({ level: 30, msg: 'job transport', jobId: 'an-1', videoFrames: 1500, audioChunks: 1501, activeJobs: 1, ...s3Transport });
    expect(parseTransportLine(`[media-converter] ${json}`)).toMatchObject({ process: 'media-converter', jobId: 'an-1', calls: { stored: 122 } });
    expect(parseTransportLine(`[media-converter] ${JSON.stringify({ msg: 'job started', jobId: 'an-1' })}`)).toBeNull();
    expect(parseTransportLine('[api] not json')).toBeNull();
    expect(parseTransportLine(json)).toBeNull();
  });
});

describe('procfs parsers', () => {
  it('reads ppid and utime+stime+cutime+cstime past a command name holding spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 30 20 20 0 11 0 100 0 0';
    expect(parseStat(stat)).toEqual({ pid: 4242, ppid: 17, cpuSec: 3.5 });
  });

  it('reads VmHWM and VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  134000 kB\nVmRSS:\t   90000 kB\n';
    expect(parseStatusBytes(status, 'VmHWM')).toBe(134000 * 1024);
    expect(parseStatusBytes(status, 'VmRSS')).toBe(90000 * 1024);
    expect(parseStatusBytes('Name:\tzombie\n', 'VmRSS')).toBeNull();
  });
});
