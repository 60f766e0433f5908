import { NODE_ARGS, groupsFor, planTopology } from './topology';

const secrets = { jwtSecret: 'j'.repeat(43), serviceSecret: 's'.repeat(43), dataDir: '/data' };

describe('planTopology', () => {
  it('plans the monolith as one process on the API port', async () => {
    const plan = await planTopology({ topology: 'monolith', port: 8080, ...secrets });
    expect(plan.apiPort).toBe(8080);
    expect(plan.waves).toHaveLength(1);
    expect(plan.waves[0]?.[0]).toMatchObject({ name: 'monolith', app: 'monolith', port: 8080, nodeArgs: [...NODE_ARGS] });
    expect(plan.waves[0]?.[0]?.env).toMatchObject({ FRAMEWATCH_PORT: '8080', FRAMEWATCH_DATA_DIR: '/data', FRAMEWATCH_TOPOLOGY: 'monolith' });
  });

  it('starts detector groups and the aggregator before the converter, and the API last', async () => {
    const plan = await planTopology({ topology: 'services', port: 0, ...secrets, common: { FRAMEWATCH_LOG_LEVEL: 'warn' } });
    expect(plan.waves.map((w) => w.map((p) => p.name))).toEqual([['detector-video', 'detector-audio', 'aggregator'], ['media-converter'], ['api']]);
    const [first, [converter], [api]] = plan.waves as [typeof plan.waves[0], [NonNullable<(typeof plan.waves)[0][0]>], [NonNullable<(typeof plan.waves)[0][0]>]];
    const ports = first.map((p) => p.port);
    expect(converter.env['FRAMEWATCH_DETECTOR_URLS']).toBe(ports.slice(0, 2).map((p) => `http://127.0.0.1:${p}`).join(','));
    expect(converter.env['FRAMEWATCH_AGGREGATOR_URL']).toBe(`http://127.0.0.1:${ports[2]}`);
    expect(first.map((p) => p.env['FRAMEWATCH_DETECTORS'])).toEqual(['black,freeze', 'silence,clipping', undefined]);
    expect(api.port).toBe(plan.apiPort);
    expect(new Set([...ports, converter.port, api.port]).size).toBe(5);
    for (const p of plan.waves.flat()) {
      expect(p.env).toMatchObject({ FRAMEWATCH_SERVICE_SECRET: secrets.serviceSecret, FRAMEWATCH_LOG_LEVEL: 'warn' });
      expect(p.nodeArgs).toEqual([...NODE_ARGS]);
    }
    expect(converter.env['FRAMEWATCH_FRAME_HANDOFF']).toBe('none');
  });

  it('hands frames over through the frames store in services-s3', async () => {
    const plan = await planTopology({ topology: 'services-s3', port: 0, ...secrets });
    const byName = new Map(plan.waves.flat().map((p) => [p.name, p]));
    expect(byName.get('media-converter')?.env['FRAMEWATCH_FRAME_HANDOFF']).toBe('local');
    expect(byName.get('detector-audio')?.env['FRAMEWATCH_FRAME_HANDOFF']).toBe('local');
  });

  it('adds the macroblocking group only when the selection names it, and narrows groups to the selection', async () => {
    const plan = await planTopology({ topology: 'services', port: 0, ...secrets, detectors: ['black', 'silence', 'clipping', 'macroblocking'] });
    const detectors = plan.waves[0]?.filter((p) => p.app === 'detector') ?? [];
    expect(detectors.map((p) => [p.name, p.env['FRAMEWATCH_DETECTORS']])).toEqual([
      ['detector-video', 'black'],
      ['detector-audio', 'silence,clipping'],
      ['detector-blocks', 'macroblocking'],
    ]);
  });
});

describe('groupsFor', () => {
  it('runs the four default algorithms in two groups when nothing is selected', () => {
    expect(groupsFor([])).toEqual([
      { name: 'video', detectors: ['black', 'freeze'] },
      { name: 'audio', detectors: ['silence', 'clipping'] },
    ]);
  });

  it('leaves out a group none of whose algorithms is selected, and refuses unknown names', () => {
    expect(groupsFor(['macroblocking'])).toEqual([{ name: 'blocks', detectors: ['macroblocking'] }]);
    expect(() => groupsFor(['black', 'blurriness'])).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('blurriness') }));
  });
});
