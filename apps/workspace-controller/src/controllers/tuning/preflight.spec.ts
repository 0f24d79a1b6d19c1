import { Reason, type Workspace } from '@kaito-ts/api';
import { makeTuningWorkspace } from '@kaito-ts/api/testing';
import { restrictedAddress } from './addresses.js';
import { defaultParamsConfigMap } from './params.js';
import { inputHosts, preflight, registryHost, type PreflightInput, type PreflightSecret } from './preflight.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const dockerSecret = (auths: Record<string, unknown>): PreflightSecret => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });

const ws = (tuning: Partial<NonNullable<Workspace['tuning']>> = {}): Workspace => {
  const base = makeTuningWorkspace();
  return { ...base, tuning: { ...(base.tuning as NonNullable<Workspace['tuning']>), input: { urls: ['https://data.example.com/train.parquet'] }, ...tuning } };
};

function input(overrides: Partial<PreflightInput> = {}): PreflightInput {
  const params = defaultParamsConfigMap('qlora', 'default');
  return {
    workspace: ws(),
    configMap: { name: 'qlora-params-template', data: params.data ?? {} },
    resolved: new Map([['data.example.com', ['93.184.215.14']]]),
    secrets: new Map([['registry-push', dockerSecret({ 'registry.example.com': { auth: b64('u:p') } })]]),
    allowLoopback: false,
    ...overrides,
  };
}

describe('restrictedAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['93.184.215.14', undefined],
    ['2606:4700::1111', undefined],
    ['172.32.0.1', undefined],
  ])('classifies %s as %s', (ip, kind) => {
    expect(restrictedAddress(ip)).toBe(kind);
  });
});

describe('registryHost', () => {
  it.each([
    ['registry.example.com/adapters/phi-3:0.0.1', 'registry.example.com'],
    ['localhost:5000/a:1', 'localhost:5000'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000'],
    ['myorg/adapter:1', 'docker.io'],
    ['adapter', 'docker.io'],
  ])('%s is pushed to %s', (image, host) => {
    expect(registryHost(image)).toBe(host);
  });
});

describe('preflight', () => {
  it('passes the seed-like Workspace with a public dataset host and a push Secret for its registry', () => {
    expect(preflight(input())).toMatchObject({ ok: true });
  });

  it('lists each input host once for resolution', () => {
    expect(inputHosts(ws({ input: { urls: ['https://a.example/x', 'https://a.example/y', 'http://[::1]:8080/z'] } }))).toEqual(['a.example', '::1']);
  });

  it.each<[string, Partial<PreflightInput>, Reason, string]>([
    ['a host resolving to a private address', { resolved: new Map([['data.example.com', ['93.184.215.14', '10.0.0.5']]]) }, Reason.InputUrlRefused, 'tuning.input.urls[0]: host data.example.com resolves to 10.0.0.5, a private address'],
    ['a host resolving to the metadata address', { resolved: new Map([['data.example.com', ['169.254.169.254']]]) }, Reason.InputUrlRefused, 'a metadata address'],
    ['a host resolving to loopback without the flag', { resolved: new Map([['data.example.com', ['127.0.0.1']]]) }, Reason.InputUrlRefused, 'a loopback address'],
    ['a host that does not resolve', { resolved: new Map([['data.example.com', new Error('getaddrinfo ENOTFOUND data.example.com')]]) }, Reason.InputUrlUnresolvable, 'ENOTFOUND'],
    ['a missing push Secret', { secrets: new Map() }, Reason.PushSecretNotFound, 'tuning.output.imagePushSecret: Secret registry-push not found in namespace default'],
    ['an Opaque push Secret', { secrets: new Map([['registry-push', { type: 'Opaque', data: {} }]]) }, Reason.PushSecretInvalid, 'expected kubernetes.io/dockerconfigjson'],
    ['a push Secret for another registry', { secrets: new Map([['registry-push', dockerSecret({ 'https://other.example.com/v1/': {} })]]) }, Reason.PushSecretInvalid, 'has no credentials for registry.example.com'],
    ['a push Secret that is not JSON', { secrets: new Map([['registry-push', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{nope') } }]]) }, Reason.PushSecretInvalid, 'is not a docker config'],
    ['a missing tuning ConfigMap', { configMap: undefined, workspace: ws({ config: 'my-config' }) }, Reason.TuningConfigNotFound, 'tuning.config: ConfigMap my-config not found'],
    ['a ConfigMap without training_config.yaml', { configMap: { name: 'my-config', data: { other: 'x' } } }, Reason.TuningConfigNotFound, 'has no training_config.yaml key (it holds: other)'],
    ['a qlora config without quantisation', { configMap: { name: 'my-config', data: { 'training_config.yaml': 'training_config:\n  QuantizationConfig: {}\n' } } }, Reason.InvalidConfig, 'method qlora needs load_in_4bit or load_in_8bit'],
    ['a missing input pull Secret', { workspace: ws({ input: { image: 'registry.example.com/data:1', imagePullSecrets: ['data-pull'] } }) }, Reason.PullSecretNotFound, 'tuning.input.imagePullSecrets[0]: Secret data-pull not found'],
  ])('refuses %s', (_what, overrides, reason, message) => {
    const verdict = preflight(input(overrides));
    expect(verdict).toMatchObject({ ok: false, reason });
    expect(verdict.ok ? '' : verdict.message).toContain(message);
  });

  it('lets loopback through only with allowLoopback (local e2e), never a private address', () => {
    expect(preflight(input({ allowLoopback: true, resolved: new Map([['data.example.com', ['127.0.0.1']]]) }))).toMatchObject({ ok: true });
    expect(preflight(input({ allowLoopback: true, resolved: new Map([['data.example.com', ['192.168.0.9']]]) }))).toMatchObject({ ok: false, reason: Reason.InputUrlRefused });
  });

  it('accepts Docker Hub credentials under any of its names', () => {
    const hub = ws({ output: { image: 'myorg/adapter:1', imagePushSecret: 'registry-push' } });
    expect(preflight(input({ workspace: hub, secrets: new Map([['registry-push', dockerSecret({ 'https://index.docker.io/v1/': {} })]]) }))).toMatchObject({ ok: true });
  });

  it('never puts Secret content in its message', () => {
    const verdict = preflight(input({ secrets: new Map([['registry-push', dockerSecret({ 'other.example.com': { auth: b64('user:hunter2') } })]]) }));
    expect(verdict.ok ? '' : verdict.message).not.toMatch(/hunter2|dXNlcjpodW50ZXIy/);
  });
});
