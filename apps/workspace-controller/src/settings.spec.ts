import { SettingsError } from '@kaito-ts/core';
import { defaultSettings, parseWorkspaceControllerSettings, USAGE } from './settings.js';

const settings = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseWorkspaceControllerSettings(argv, env);
  if (parsed.help) throw new Error('expected settings');
  return parsed.settings;
};

describe('parseWorkspaceControllerSettings', () => {
  it('defaults to NodeClaims, every namespace, leader election on, metrics 8080 and health 8081', () => {
    expect(settings([])).toEqual({
      nodeApi: 'nodeclaim',
      namespaces: [],
      leaderElect: true,
      leaseName: 'workspace-controller',
      leaseNamespace: 'kaito-system',
      concurrency: 32,
      kubeApiQps: 100,
      kubeApiBurst: 200,
      metricsPort: 8080,
      healthPort: 8081,
      logLevel: 'info',
      logFormat: 'auto',
      provisioning: 'auto',
      webhook: false,
      webhookPort: 9443,
      webhookServiceName: 'workspace-controller-webhook',
      webhookServiceNamespace: 'kaito-system',
      webhookSecretName: 'workspace-webhook-cert',
      webhookConfigurationName: 'validation.workspace.kaito.sh',
      tuningDataPullerImage: 'quay.io/skopeo/stable:v1.16.1',
      tuningBackoffLimit: 0,
      tuningActiveDeadlineMs: 0,
      tuningKeepNodes: false,
      tuningAllowLoopbackInputs: false,
      tuningInsecureRegistries: [],
      tuningPodAnnotations: {},
      tuningPreflightRecheckMs: 30_000,
      inferencePodAnnotations: {},
    });
  });

  it('reads the tuning rows: image, deadline, repeated pod annotations and insecure registries', () => {
    expect(
      settings([
        '--tuning-image=localhost:5000/tuning-runner:dev',
        '--tuning-active-deadline=2h',
        '--tuning-pod-annotation=kaito-ts.dev/run-as-process=true',
        '--tuning-pod-annotation=a=b',
        '--tuning-insecure-registry=127.0.0.1:5000',
        '--tuning-keep-nodes=true',
      ]),
    ).toMatchObject({
      tuningImage: 'localhost:5000/tuning-runner:dev',
      tuningActiveDeadlineMs: 7_200_000,
      tuningPodAnnotations: { 'kaito-ts.dev/run-as-process': 'true', a: 'b' },
      tuningInsecureRegistries: ['127.0.0.1:5000'],
      tuningKeepNodes: true,
    });
  });

  it('reads repeated inference pod annotations, and refuses one without a value', () => {
    expect(settings(['--inference-pod-annotation=kaito-ts.dev/run-as-process=kubelet-a', '--inference-pod-annotation=a=b'])).toMatchObject({
      inferencePodAnnotations: { 'kaito-ts.dev/run-as-process': 'kubelet-a', a: 'b' },
    });
    expect(() => settings(['--inference-pod-annotation=novalue'])).toThrow(/inference-pod-annotation/);
  });

  it('reads the webhook settings, flags and WORKSPACE_CONTROLLER_WEBHOOK_* variables', () => {
    expect(settings(['--webhook', 'true', '--webhook-port', '10443', '--webhook-local-url', 'https://127.0.0.1:10443'], { WORKSPACE_CONTROLLER_WEBHOOK_SECRET_NAME: 'certs' })).toMatchObject({
      webhook: true,
      webhookPort: 10443,
      webhookLocalUrl: 'https://127.0.0.1:10443',
      webhookSecretName: 'certs',
    });
  });

  it.each([
    [['--webhook-local-url', 'http://127.0.0.1:9443'], 'invalid setting --webhook-local-url (WORKSPACE_CONTROLLER_WEBHOOK_LOCAL_URL): expected an https:// URL of a host and port, got "http://127.0.0.1:9443"'],
    [['--webhook-port', '0'], 'expected a port from 1 to 65535, got "0"'],
  ])('refuses %j in one line', (argv, message) => {
    expect(() => settings(argv)).toThrow(message);
  });

  it('reads the client rate limit', () => {
    expect(settings(['--kube-api-qps', '30', '--kube-api-burst', '50'])).toMatchObject({ kubeApiQps: 30, kubeApiBurst: 50 });
  });

  it('reads the provisioning mode, and refuses another', () => {
    expect(settings(['--provisioning', 'byo'])).toMatchObject({ provisioning: 'byo' });
    expect(settings([], { WORKSPACE_CONTROLLER_PROVISIONING: 'byo' })).toMatchObject({ provisioning: 'byo' });
    expect(settings(['--adapter-puller-image', 'mirror.example.com/skopeo:1'])).toMatchObject({ adapterPullerImage: 'mirror.example.com/skopeo:1' });
    expect(() => parseWorkspaceControllerSettings(['--provisioning', 'karpenter'], {})).toThrow('invalid setting --provisioning (WORKSPACE_CONTROLLER_PROVISIONING): expected one of: auto, byo, got "karpenter"');
  });

  it('reads the node API, namespaces, registry and ports', () => {
    expect(settings(['--node-api', 'machine', '--namespace', 'a', '--namespace', 'b', '--registry', 'mirror.example.com/kaito', '--metrics-port', 'off', '--leader-elect', 'false'])).toMatchObject({
      nodeApi: 'machine',
      namespaces: ['a', 'b'],
      registry: 'mirror.example.com/kaito',
      metricsPort: false,
      leaderElect: false,
    });
  });

  it('falls back to WORKSPACE_CONTROLLER_* variables, and flags win over them', () => {
    const env = { WORKSPACE_CONTROLLER_NODE_API: 'machine', WORKSPACE_CONTROLLER_NAMESPACES: 'x,y' };
    expect(settings([], env)).toMatchObject({ nodeApi: 'machine', namespaces: ['x', 'y'] });
    expect(settings(['--node-api', 'nodeclaim'], env)).toMatchObject({ nodeApi: 'nodeclaim' });
  });

  it.each([
    [['--node-api', 'pods'], 'invalid setting --node-api (WORKSPACE_CONTROLLER_NODE_API): expected one of: nodeclaim, machine, got "pods" (e.g. --node-api=nodeclaim)'],
    [['--concurrency', '0'], 'invalid setting --concurrency (WORKSPACE_CONTROLLER_CONCURRENCY): expected a positive whole number, got "0"'],
    [['--kube-api-qps', '0'], 'invalid setting --kube-api-qps (WORKSPACE_CONTROLLER_KUBE_API_QPS): expected a positive whole number of requests per second, got "0"'],
    [['--health-port', '70000'], 'invalid setting --health-port (WORKSPACE_CONTROLLER_HEALTH_PORT): expected a port 0–65535 or "off", got "70000" (e.g. --health-port=8081)'],
  ])('refuses %j in one line', (argv, message) => {
    expect(() => parseWorkspaceControllerSettings(argv, {})).toThrow(SettingsError);
    expect(() => parseWorkspaceControllerSettings(argv, {})).toThrow(message);
  });

  it('documents every flag with its variable in --help', () => {
    expect(parseWorkspaceControllerSettings(['--help'], {})).toEqual({ help: true });
    for (const flag of ['--node-api', '--namespace', '--registry', '--leader-elect', '--concurrency', '--kube-api-qps', '--kube-api-burst', '--metrics-port', '--health-port', '--log-level']) expect(USAGE).toContain(flag);
    expect(USAGE).toContain('WORKSPACE_CONTROLLER_NODE_API');
  });

  it('gives embedders the defaults with overrides', () => {
    expect(defaultSettings({ nodeApi: 'machine', leaderElect: false })).toMatchObject({ nodeApi: 'machine', leaderElect: false, concurrency: 32 });
  });
});
