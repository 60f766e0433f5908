import { transportCounters, transportDelta } from './transport';

function client(calls: number, bytesSent: number) {
  return { stats: () => ({ calls, attempts: calls, retries: 0, bytesSent, bytesReceived: 10 * calls }) };
}

describe('transport counters', () => {
  it('sums RPC clients, splits calls by role and subtracts an earlier reading', () => {
    let detectorCalls = 2;
    const detector = { stats: () => client(detectorCalls, 100 * detectorCalls).stats() };
    const read = transportCounters({ detector: [detector], stored: [], aggregator: client(1, 5) }, undefined);
    const before = read();
    expect(before).toEqual({
      rpc: { calls: 3, attempts: 3, retries: 0, bytesSent: 205, bytesReceived: 30 },
      calls: { detector: 2, stored: 0, aggregator: 1 },
      frameStore: null,
    });
    detectorCalls = 5;
    expect(transportDelta(read(), before)).toEqual({
      rpc: { calls: 3, attempts: 3, retries: 0, bytesSent: 300, bytesReceived: 30 },
      calls: { detector: 3, stored: 0, aggregator: 0 },
      frameStore: null,
    });
  });
});
