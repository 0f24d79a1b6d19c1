import { isSettingsError } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';

const REQUIRED = ['--subscription=sub-1', '--resource-group=rg', '--cluster-name=aks', '--location=eastus'];

describe('parseConfig', () => {
  it('has safe defaults: NodeClaim, workload identity, public ARM, leader election', () => {
    const parsed = parseConfig(REQUIRED, {});
    if (parsed.help) throw new Error('unexpected help');
    expect(parsed.config).toMatchObject({
      api: 'nodeclaim',
      subscriptionId: 'sub-1',
      resourceGroup: 'rg',
      clusterName: 'aks',
      location: 'eastus',
      armEndpoint: 'https://management.azure.com',
      credential: 'workload-identity',
      leaderElect: true,
      leaseName: 'gpu-provisioner-nodeclaim',
      metricsPort: 8080,
      healthPort: 8081,
      armTimeoutMs: 30_000,
      capacityRetryMs: 30_000,
      transientRetryMs: 1_000,
      kubeQps: 200,
      kubeBurst: 300,
    });
  });

  it('reads GPU_PROVISIONER_* variables, and flags win over them', () => {
    const env = { GPU_PROVISIONER_SUBSCRIPTION: 'from-env', GPU_PROVISIONER_RESOURCE_GROUP: 'rg', GPU_PROVISIONER_CLUSTER_NAME: 'aks', GPU_PROVISIONER_LOCATION: 'westus', GPU_PROVISIONER_API: 'machine' };
    const fromEnv = parseConfig([], env);
    const flagged = parseConfig(['--subscription=from-flag', '--credential=default', '--arm-endpoint=https://127.0.0.1:8443', '--transient-retry=250ms'], env);
    if (fromEnv.help || flagged.help) throw new Error('unexpected help');
    expect(fromEnv.config).toMatchObject({ subscriptionId: 'from-env', api: 'machine', leaseName: 'gpu-provisioner-machine', location: 'westus' });
    expect(flagged.config).toMatchObject({ subscriptionId: 'from-flag', credential: 'default', armEndpoint: 'https://127.0.0.1:8443', transientRetryMs: 250 });
  });

  it.each([
    [['--resource-group=rg', '--cluster-name=aks', '--location=eastus'], /subscription/],
    [[...REQUIRED, '--api=pods'], /api/],
    [[...REQUIRED, '--credential=password'], /credential/],
    [[...REQUIRED, '--arm-timeout=soon'], /arm-timeout/],
  ])('refuses %j with one line naming the setting', (argv, name) => {
    let err: unknown;
    try {
      parseConfig(argv, {});
    } catch (e) {
      err = e;
    }
    expect(isSettingsError(err)).toBe(true);
    expect((err as Error).message).toMatch(name);
    expect((err as Error).message).not.toContain('\n');
  });

  it('--help lists every setting', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true });
    for (const flag of ['--subscription', '--resource-group', '--cluster-name', '--location', '--arm-endpoint', '--user-agent', '--credential', '--api', '--leader-elect', '--metrics-port', '--health-port', '--log-level']) {
      expect(USAGE).toContain(flag);
    }
  });
});
