/**
 * No dead values: every variable a chart's Deployment sets is a setting its process reads (its
 * `--help` names it), and the process accepts the rendered values (it gets past its settings and
 * fails only at reaching the API server, exit 1, not exit 2 for a bad setting).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Exited, helpVariables, runMain } from './apps.js';
import { CHART_NAMES, type ChartName, render, type RenderOptions } from './helm.js';

const NON_DEFAULT: Record<ChartName, RenderOptions> = {
  'workspace-controller': {
    set: [
      'nodeAPI=machine',
      'webhook.enabled=false',
      'watchNamespaces={team-a,team-b}',
      'runtimeRegistry=myregistry.azurecr.io/kaito',
      'logLevel=debug',
      'leaderElection.enabled=false',
      'provisioningMode=byo',
      'kubeAPI.qps=20',
      'kubeAPI.burst=40',
      'tuning.backoffLimit=2',
      'tuning.activeDeadline=12h',
      'tuning.keepNodes=true',
      'tuning.preflightRecheck=1m30s',
      'tuning.allowLoopbackInputs=true',
      'tuning.insecureRegistries={127.0.0.1:5000,registry.local:5000}',
    ],
    setJson: ['tuning.podAnnotations={"kaito-ts.dev/run-as-process":"true","team":"a"}'],
  },
  'gpu-provisioner': { set: ['nodeAPI=machine', 'azure.deploymentMode=managed', 'azure.armEndpoint=https://arm.example.com'], setString: ['selector.team=a', 'selector.tier=gpu'] },
  'kwok-provisioner': { set: ['nodeAPI=machine', 'quotas.Standard_NC12s_v3=0', 'quotas.Standard_NC6s_v3=3', 'unavailable={Standard_NC24ads_A100_v4,Standard_NC96ads_A100_v4}', 'launchDelay=1m30s'], setString: ['selector.team=a'] },
};

/** `name → value` of the one container's env (valueFrom entries are not values a chart chose). */
async function renderedEnv(chart: ChartName, o: RenderOptions): Promise<Record<string, string>> {
  const d = (await render(chart, o)).find((x) => x.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
  const env = d.spec.template.spec.containers[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
}

/** A kubeconfig whose API server refuses connections at once. */
function unreachableKubeconfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'charts-settings-')), 'kubeconfig');
  writeFileSync(
    path,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  return path;
}

describe.each(CHART_NAMES)('the %s chart’s environment', (chart) => {
  let help: Exited;
  beforeAll(async () => {
    help = await runMain(chart, ['--help'], {});
  }, 120_000);

  it.each([
    ['default', {}],
    ['non-default', NON_DEFAULT[chart]],
  ] as const)('sets only variables the process reads (%s values)', async (_case, o) => {
    expect(help.code).toBe(0);
    const known = helpVariables(help.output);
    const unknown = Object.keys(await renderedEnv(chart, o)).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });

  it.each([
    ['default', {}],
    ['non-default', NON_DEFAULT[chart]],
  ] as const)('holds values the process accepts (%s values)', async (_case, o) => {
    const env = await renderedEnv(chart, o);
    const kubeconfigVariable = chart === 'workspace-controller' ? 'WORKSPACE_CONTROLLER_KUBECONFIG' : chart === 'gpu-provisioner' ? 'GPU_PROVISIONER_KUBECONFIG' : 'KWOK_PROVISIONER_KUBECONFIG';
    const run = await runMain(chart, [], { ...env, [kubeconfigVariable]: unreachableKubeconfig() });
    expect({ code: run.code, invalidSetting: /invalid setting/i.test(run.output) }).toEqual({ code: 1, invalidSetting: false });
  }, 120_000);
});
