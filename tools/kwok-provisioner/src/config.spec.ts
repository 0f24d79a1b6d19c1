import { ConfigError, parseConfig, parseDuration } from './config.js';

const config = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseConfig(argv, env);
  if (parsed.help) throw new Error('expected a config');
  return parsed.config;
};

describe('parseConfig', () => {
  it('defaults to NodeClaim, a 5 s launch delay and GPU-sized timeouts', () => {
    expect(config([])).toMatchObject({ api: 'nodeclaim', launchDelayMs: 5_000, launchTimeoutMs: 20 * 60_000, registrationTimeoutMs: 30 * 60_000, cloudNamespace: 'kwok-provisioner' });
  });

  it('reads quotas, stock-outs and a selector', () => {
    expect(config(['--quota', 'Standard_NC6s_v3=0', '--quota', 'Standard_NC12s_v3=2', '--unavailable', 'p5.48xlarge', '--selector', 'team=a,tier=gpu'])).toMatchObject({
      quotas: { Standard_NC6s_v3: 0, Standard_NC12s_v3: 2 },
      unavailable: ['p5.48xlarge'],
      selector: { team: 'a', tier: 'gpu' },
    });
  });

  it('falls back to KWOK_PROVISIONER_* variables, and flags win over them', () => {
    const env = { KWOK_PROVISIONER_API: 'machine', KWOK_PROVISIONER_LAUNCH_DELAY: '1m' };
    expect(config([], env)).toMatchObject({ api: 'machine', launchDelayMs: 60_000 });
    expect(config(['--launch-delay', '2s'], env)).toMatchObject({ launchDelayMs: 2_000 });
  });

  it.each([
    [['--api', 'pods'], '--api: expected nodeclaim or machine, got "pods"'],
    [['--launch-delay', 'soon'], '--launch-delay: expected a duration'],
    [['--quota', 'Standard_NC6s_v3=-1'], '--quota Standard_NC6s_v3: expected a whole number'],
    [['--metrics-port', '99999'], '--metrics-port: expected a port'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [['--quota', 'Standard_NC6s_v3='], '--quota Standard_NC6s_v3: expected a whole number of instances, got ""'],
    [['--quota', 'Standard_NC6s_v3=0x2'], '--quota Standard_NC6s_v3: expected a whole number'],
    [['--metrics-port='], '--metrics-port: expected a port'],
    [['--health-port', ' '], '--health-port: expected a port'],
    [['--concurrency', '1e1'], '--concurrency: expected a positive whole number'],
    [['--log-level', 'verbose'], '--log-level: expected error, warn, info or debug, got "verbose"'],
  ])('rejects %p with one clear line', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('rejects a malformed number from the environment too', () => {
    expect(() => parseConfig([], { KWOK_PROVISIONER_QUOTA: 'Standard_NC6s_v3= ' })).toThrow('--quota Standard_NC6s_v3: expected a whole number');
    expect(() => parseConfig([], { KWOK_PROVISIONER_CONCURRENCY: '0x10' })).toThrow('--concurrency: expected a positive whole number, got "0x10"');
  });

  it('accepts a log level spelt as environment variables often are', () => {
    expect(config([], { KWOK_PROVISIONER_LOG_LEVEL: 'DEBUG' })).toMatchObject({ logLevel: 'debug' });
  });

  it('answers --help', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true });
  });
});

describe('parseDuration', () => {
  it.each([
    ['1500', 1500],
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text, 'x')).toBe(ms);
  });
});
