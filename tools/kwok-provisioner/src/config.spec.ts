import { SettingsError } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';

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
    [['--api', 'pods'], 'invalid setting --api (KWOK_PROVISIONER_API): expected one of: nodeclaim, machine, got "pods" (e.g. --api=nodeclaim)'],
    [['--launch-delay', 'soon'], 'invalid setting --launch-delay (KWOK_PROVISIONER_LAUNCH_DELAY): expected a duration such as 500ms, 5s, 2m or 1h, got "soon" (e.g. --launch-delay=5s)'],
    [['--quota', 'Standard_NC6s_v3=-1'], 'invalid setting --quota (KWOK_PROVISIONER_QUOTA): Standard_NC6s_v3: expected a whole number of instances, got "-1" (e.g. --quota=Standard_NC6s_v3=2)'],
    [['--quota', 'Standard_NC6s_v3'], 'invalid setting --quota (KWOK_PROVISIONER_QUOTA): expected SKU=N, got "Standard_NC6s_v3" (e.g. --quota=Standard_NC6s_v3=2)'],
    [['--metrics-port', '99999'], 'invalid setting --metrics-port (KWOK_PROVISIONER_METRICS_PORT): expected a port 0–65535 or "off", got "99999" (e.g. --metrics-port=8080)'],
    [['--frobnicate'], 'invalid setting: unknown flag --frobnicate; see --help'],
    [['--quota', 'Standard_NC6s_v3='], 'invalid setting --quota (KWOK_PROVISIONER_QUOTA): Standard_NC6s_v3: expected a whole number of instances, got ""'],
    [['--quota', 'Standard_NC6s_v3=0x2'], 'invalid setting --quota (KWOK_PROVISIONER_QUOTA): Standard_NC6s_v3: expected a whole number of instances, got "0x2"'],
    [['--metrics-port='], 'invalid setting --metrics-port (KWOK_PROVISIONER_METRICS_PORT): expected a port 0–65535 or "off", got ""'],
    [['--health-port', ' '], 'invalid setting --health-port (KWOK_PROVISIONER_HEALTH_PORT): expected a port 0–65535 or "off", got " "'],
    [['--concurrency', '1e1'], 'invalid setting --concurrency (KWOK_PROVISIONER_CONCURRENCY): expected a positive whole number, got "1e1"'],
    [['--concurrency', '0'], 'invalid setting --concurrency (KWOK_PROVISIONER_CONCURRENCY): expected a positive whole number, got "0"'],
    [['--leader-elect', 'maybe'], 'invalid setting --leader-elect (KWOK_PROVISIONER_LEADER_ELECT): expected true or false, got "maybe"'],
    [['--selector', 'team'], 'invalid setting --selector (KWOK_PROVISIONER_SELECTOR): expected key=value, got "team"'],
    [['--log-level', 'verbose'], 'invalid setting --log-level (KWOK_PROVISIONER_LOG_LEVEL): expected one of: error, warn, info, debug, got "verbose"'],
  ])('rejects %p with one clear line', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(SettingsError);
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('rejects a malformed number from the environment too', () => {
    expect(() => parseConfig([], { KWOK_PROVISIONER_QUOTA: 'Standard_NC6s_v3= ' })).toThrow('--quota (KWOK_PROVISIONER_QUOTA): Standard_NC6s_v3: expected a whole number of instances, got ""');
    expect(() => parseConfig([], { KWOK_PROVISIONER_CONCURRENCY: '0x10' })).toThrow('--concurrency (KWOK_PROVISIONER_CONCURRENCY): expected a positive whole number, got "0x10"');
  });

  it('accepts a log level spelt as environment variables often are', () => {
    expect(config([], { KWOK_PROVISIONER_LOG_LEVEL: 'DEBUG' })).toMatchObject({ logLevel: 'debug' });
  });

  it('falls back to KUBECONFIG, and names the lease after the API', () => {
    expect(config([], { KUBECONFIG: '/k' })).toMatchObject({ kubeconfig: '/k', leaseName: 'kwok-provisioner-nodeclaim' });
    expect(config(['--api=machine'], { KWOK_PROVISIONER_KUBECONFIG: '/a', KUBECONFIG: '/k' })).toMatchObject({ kubeconfig: '/a', leaseName: 'kwok-provisioner-machine' });
    expect(config([])).not.toHaveProperty('kubeconfig');
  });

  it('turns listeners off and reads booleans', () => {
    expect(config(['--metrics-port=off', '--health-port', '0', '--leader-elect', 'false'])).toMatchObject({ metricsPort: false, healthPort: 0, leaderElect: false });
  });

  it('answers --help with every flag, its variable and its default', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true });
    expect(USAGE).toMatch(/--launch-timeout DURATION +KWOK_PROVISIONER_LAUNCH_TIMEOUT +give up a launch after this long \(0 disables\) \(default 20m\)/);
  });
});
