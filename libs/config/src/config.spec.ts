import { childEnvironment, envVarFor, loadConfig, settingsEnv } from './config';

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.dataDir).toBe('./.framewatch');
    expect(config.allowPrivateSources).toBe(false);
    expect(config.framesPerBatch).toBe(25);
  });

  it('reads FRAMEWATCH_* variables and lets overrides win', () => {
    const config = loadConfig({
      env: { FRAMEWATCH_DATA_DIR: '/var/fw', FRAMEWATCH_IO_TIMEOUT_SEC: '3', FRAMEWATCH_ALLOW_PRIVATE_SOURCES: 'true' },
      overrides: { dataDir: '/tmp/x', ioTimeoutSec: undefined },
    });
    expect(config).toMatchObject({ dataDir: '/tmp/x', ioTimeoutSec: 3, allowPrivateSources: true });
  });

  it('keeps UDP sources off and a 2 s live stall by default; both are set from the environment', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ allowUdpSources: false, liveStallSec: 2 });
    const config = loadConfig({ env: { FRAMEWATCH_ALLOW_UDP_SOURCES: 'true', FRAMEWATCH_LIVE_STALL_SEC: '0.5' } });
    expect(config).toMatchObject({ allowUdpSources: true, liveStallSec: 0.5 });
    expect(() => loadConfig({ env: { FRAMEWATCH_LIVE_STALL_SEC: '0' } })).toThrow(/FRAMEWATCH_LIVE_STALL_SEC/);
  });

  it('lets the environment win over an app default', () => {
    expect(loadConfig({ env: {}, defaults: { logLevel: 'warn' } }).logLevel).toBe('warn');
    expect(loadConfig({ env: { FRAMEWATCH_LOG_LEVEL: 'debug' }, defaults: { logLevel: 'warn' } }).logLevel).toBe('debug');
  });

  it('fails naming the variable', () => {
    expect(() => loadConfig({ env: { FRAMEWATCH_IO_TIMEOUT_SEC: 'soon' } })).toThrow(/FRAMEWATCH_IO_TIMEOUT_SEC/);
    expect(() => loadConfig({ env: { FRAMEWATCH_LOG_LEVEL: 'loud' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('derives variable names from keys', () => {
    expect(envVarFor('maxFramePixels')).toBe('FRAMEWATCH_MAX_FRAME_PIXELS');
  });

  it('gives children the environment without inherited FRAMEWATCH_* settings', () => {
    const env = childEnvironment({ FRAMEWATCH_PORT: '9' }, { PATH: '/bin', FRAMEWATCH_JWT_SECRET: 'x'.repeat(40), FRAMEWATCH_PORT: '1' });
    expect(env).toEqual({ PATH: '/bin', FRAMEWATCH_PORT: '9' });
  });

  it('turns settings back into the variables a child process reads', () => {
    const config = loadConfig({ env: { FRAMEWATCH_STORE: 'aws', FRAMEWATCH_DETECTORS: 'black, freeze' } });
    const env = settingsEnv(config, ['store', 'detectors', 'alertsTopicArn', 'maxQueued']);
    expect(env).toEqual({ FRAMEWATCH_STORE: 'aws', FRAMEWATCH_DETECTORS: 'black,freeze', FRAMEWATCH_MAX_QUEUED: '100' });
    expect(loadConfig({ env }).detectors).toEqual(['black', 'freeze']);
  });
});
