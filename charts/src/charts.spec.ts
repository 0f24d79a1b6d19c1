/**
 * The charts as `helm lint` and `helm template` see them, for default and non-default values:
 * every object decodes and carries the chart's labels; every pod runs restricted; the RBAC is
 * what the README lists and nothing wider; the README's values table is values.yaml's; the
 * schema refuses bad values with a message naming them; the CRDs are the repository's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, formatIssue } from '@kaito-ts/core';
import { repoRoot } from '@kaito-ts/cluster';
import { CHART_NAMES, type ChartName, chartDir, helm, render, type Rendered, valueFlags } from './helm.js';
import { Binding, CODECS, Deployment, LabelledObject, type PolicyRule, RoleLike, ServiceAccount } from './objects.js';
import { defaultCell, leafPaths, rbacTable, valueAt, valuesTable, valuesYaml } from './readme.js';

interface Case {
  readonly chart: ChartName;
  readonly title: string;
  readonly set?: string[];
  readonly setString?: string[];
}

const CASES: Case[] = [
  { chart: 'workspace-controller', title: 'defaults' },
  {
    chart: 'workspace-controller',
    title: 'machine API, watched namespaces, secret namespaces, no leader election, a digest, tuning settings',
    set: [
      'nodeAPI=machine',
      'watchNamespaces={team-a,team-b}',
      'tuning.secretNamespaces={team-a}',
      'leaderElection.enabled=false',
      `image.digest=sha256:${'a'.repeat(64)}`,
      'runtimeRegistry=myregistry.azurecr.io/kaito',
      'logLevel=debug',
      'provisioningMode=byo',
      'tuning.allowLoopbackInputs=true',
      'tuning.activeDeadline=12h',
      'tuning.insecureRegistries={127.0.0.1:5000}',
      'kubeAPI.qps=20',
    ],
  },
  { chart: 'workspace-controller', title: 'no webhook, no leader election (no release-namespace Role)', set: ['webhook.enabled=false', 'leaderElection.enabled=false'] },
  { chart: 'workspace-controller', title: 'one watched namespace (namespaced grants as a Role there)', set: ['watchNamespaces={team-a}'] },
  { chart: 'gpu-provisioner', title: 'defaults (with the required Azure values)' },
  { chart: 'gpu-provisioner', title: 'machine API, managed identity, a selector, no leader election', set: ['nodeAPI=machine', 'azure.deploymentMode=managed', 'leaderElection.enabled=false'], setString: ['selector.team=a'] },
  { chart: 'kwok-provisioner', title: 'defaults' },
  { chart: 'kwok-provisioner', title: 'machine API, quotas, unavailable SKUs, a selector', set: ['nodeAPI=machine', 'quotas.Standard_NC12s_v3=0', 'unavailable={Standard_NC24ads_A100_v4}', 'launchDelay=1s'], setString: ['selector.team=a'] },
];

const NAMESPACE = 'kaito-system';
const RELEASE = 'kaito';

function decoded<A>(codec: { decode: (u: unknown) => unknown; name: string }, value: unknown, what: string): A {
  const r = decode(codec as Parameters<typeof decode<A>>[0], value);
  if (!r.ok) throw new Error(`${what} does not decode as ${codec.name}: ${r.issues.map(formatIssue).join('; ')}`);
  return r.value;
}

const describeObject = (o: Rendered): string => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const rulesOf = (objects: Rendered[]): PolicyRule[] => objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').flatMap((o) => decoded<RoleLike>(RoleLike, o, describeObject(o)).rules);
const permissions = (rules: PolicyRule[]): Set<string> => new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res} ${v}`)))));

describe.each(CASES)('$chart chart, $title', ({ chart, set, setString }) => {
  let objects: Rendered[];
  beforeAll(async () => {
    objects = await render(chart, { release: RELEASE, namespace: NAMESPACE, ...(set ? { set } : {}), ...(setString ? { setString } : {}) });
  });

  it('passes helm lint --strict', async () => {
    const r = await helm(['lint', '--strict', chartDir(chart), ...valueFlags(chart, { ...(set ? { set } : {}), ...(setString ? { setString } : {}) })]);
    expect({ code: r.code, out: r.code === 0 ? '' : r.stdout + r.stderr }).toEqual({ code: 0, out: '' });
  });

  it('renders only kinds it knows, each decoding with its codec and carrying the chart labels', () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      const codec = CODECS[o.kind];
      if (codec === undefined) throw new Error(`${describeObject(o)}: no codec for kind ${o.kind}`);
      decoded(codec as never, o, describeObject(o));
      const labelled = decoded<LabelledObject>(LabelledObject, o, describeObject(o));
      expect(labelled.metadata.labels['app.kubernetes.io/name']).toBe(chart);
      expect(labelled.metadata.labels['app.kubernetes.io/instance']).toBe(RELEASE);
    }
  });

  it('runs one restricted container whose pod labels match the selector, Service and ServiceAccount', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments).toHaveLength(1);
    const d = decoded<Deployment>(Deployment, deployments[0], 'the Deployment');
    const podLabels = d.spec.template.metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(podLabels[k]).toBe(v);
    const service = objects.find((o) => o.kind === 'Service') as { spec: { selector: Record<string, string> } } | undefined;
    for (const [k, v] of Object.entries(service?.spec.selector ?? { missing: 'service' })) expect(podLabels[k]).toBe(v);
    const sa = objects.filter((o) => o.kind === 'ServiceAccount');
    expect(sa.map((o) => o.metadata.name)).toEqual([d.spec.template.spec.serviceAccountName]);
    expect(d.spec.template.spec.securityContext.runAsUser).toBeGreaterThan(0);
    const [container] = d.spec.template.spec.containers;
    expect(container.ports.map((p) => p.name)).toEqual(expect.arrayContaining(['metrics', 'health']));
  });

  it('binds every role it renders to its own ServiceAccount, and only to it', () => {
    const sa = decoded<ServiceAccount>(ServiceAccount, objects.find((o) => o.kind === 'ServiceAccount'), 'the ServiceAccount');
    const roles = new Set(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    const bound = new Set<string>();
    for (const o of objects.filter((x) => x.kind === 'ClusterRoleBinding' || x.kind === 'RoleBinding')) {
      const b = decoded<Binding>(Binding, o, describeObject(o));
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);
      bound.add(`${b.roleRef.kind}/${b.roleRef.kind === 'Role' ? (b.metadata.namespace ?? '') : ''}/${b.roleRef.name}`);
    }
    expect([...bound].sort()).toEqual([...roles].sort());
  });

  it('grants no wildcard, no Secret outside its named places, and nothing the README does not list', () => {
    const rules = rulesOf(objects);
    for (const r of rules) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
      if (r.resources.includes('secrets')) {
        const where = objects.find((o) => (o as { rules?: unknown }).rules !== undefined && (o as unknown as RoleLike).rules.includes(r));
        expect(where?.kind).toBe('Role');
        expect(r.verbs.filter((v) => v !== 'get' && v !== 'update')).toEqual([]);
      }
    }
    const plural = (set ?? []).includes('nodeAPI=machine') ? 'machines' : 'nodeclaims';
    const documented = rbacTable(chart, plural);
    const granted = permissions(rules);
    expect([...granted].filter((p) => !documented.has(p))).toEqual([]);
  });

  it('puts every namespaced object in the release namespace, except the Roles it is asked to place elsewhere', () => {
    const elsewhere = objects.filter((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== NAMESPACE);
    for (const o of elsewhere) expect(['Role', 'RoleBinding']).toContain(o.kind);
    const listed = (key: string): string[] => (set ?? []).flatMap((s) => (s.startsWith(`${key}={`) ? s.slice(key.length + 2, -1).split(',') : []));
    const watched = listed('watchNamespaces');
    // A Role per secret namespace; the workload grants become a Role only for a single watched namespace.
    const expectedElsewhere = new Set([...(chart === 'workspace-controller' ? [] : ['default']), ...listed('tuning.secretNamespaces'), ...(watched.length === 1 ? watched : [])]);
    expect(new Set(elsewhere.map((o) => o.metadata.namespace))).toEqual(expectedElsewhere);
  });
});

describe('every permission the README lists is granted by some rendering', () => {
  it.each(CHART_NAMES)('%s', async (chart) => {
    const everything: Record<ChartName, string[]> = {
      'workspace-controller': ['tuning.secretNamespaces={team-a}'],
      'gpu-provisioner': [],
      'kwok-provisioner': [],
    };
    const granted = permissions(rulesOf(await render(chart, { set: everything[chart] })));
    expect([...rbacTable(chart, 'nodeclaims')].filter((p) => !granted.has(p))).toEqual([]);
  });
});

describe('the README values table', () => {
  it.each(CHART_NAMES)('%s: lists every value of values.yaml once, with its default', (chart) => {
    const table = valuesTable(chart);
    const values = valuesYaml(chart);
    const leaves = leafPaths(values, new Set(table.keys()));
    expect([...table.keys()].sort()).toEqual([...leaves].sort());
    for (const [key, shown] of table) expect({ key, shown }).toEqual({ key, shown: defaultCell(valueAt(values, key)) });
  });
});

describe('values.schema.json', () => {
  it.each<[ChartName, string[], RegExp]>([
    ['workspace-controller', ['nodeAPI=foo'], /at '\/nodeAPI': value must be one of 'nodeclaim', 'machine'/],
    ['workspace-controller', ['nodeApi=machine'], /additional properties 'nodeApi' not allowed/],
    ['workspace-controller', ['provisioningMode=manual'], /at '\/provisioningMode': value must be one of 'auto', 'byo'/],
    ['workspace-controller', ['watchNamespaces={Team_A}'], /at '\/watchNamespaces\/0': 'Team_A' does not match pattern/],
    ['workspace-controller', ['webhook.port=70000'], /at '\/webhook\/port': maximum: got 70,000, want 65,535/],
    ['workspace-controller', ['preflight.allowLoopback=true'], /additional properties 'preflight' not allowed/],
    ['workspace-controller', ['tuning.activeDeadline=soon'], /at '\/tuning\/activeDeadline': 'soon' does not match pattern/],
    ['gpu-provisioner', ['azure.deploymentMode=byo'], /at '\/azure\/deploymentMode': value must be one of 'self-hosted', 'managed'/],
    ['gpu-provisioner', ['azure.subscriptionId=my-sub'], /at '\/azure\/subscriptionId': 'my-sub' does not match pattern/],
    ['kwok-provisioner', ['launchDelay=soon'], /at '\/launchDelay': 'soon' does not match pattern/],
    ['kwok-provisioner', ['quotas.Standard_NC6s_v3=-1'], /at '\/quotas\/Standard_NC6s_v3': minimum: got -1, want 0/],
  ])('%s refuses %j with a message naming the value', async (chart, set, message) => {
    const r = await helm(['template', 'kaito', chartDir(chart), ...valueFlags(chart, { set })]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('gpu-provisioner says which required Azure value is missing and how to set it', async () => {
    const r = await helm(['template', 'kaito', chartDir('gpu-provisioner'), '--set', 'azure.resourceGroup=rg', '--set', 'azure.deploymentMode=managed']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('azure.subscriptionId is required');
    expect(r.stderr).toContain('--set azure.subscriptionId=');
  });
});

describe('the charts’ CRDs', () => {
  it.each<[ChartName, string]>([
    ['workspace-controller', 'workspaces.kaito.sh.yaml'],
    ['gpu-provisioner', 'machines.karpenter.sh.yaml'],
    ['gpu-provisioner', 'nodeclaims.karpenter.sh.yaml'],
    ['kwok-provisioner', 'machines.karpenter.sh.yaml'],
    ['kwok-provisioner', 'nodeclaims.karpenter.sh.yaml'],
  ])('%s/crds/%s is the repository’s crds/ file (cp crds/<file> charts/<chart>/crds/ after npm run gen:crds)', (chart, file) => {
    const source = readFileSync(join(repoRoot(), 'crds', file), 'utf8');
    expect(readFileSync(join(chartDir(chart), 'crds', file), 'utf8')).toBe(source);
  });
});

describe('the workspace controller’s workload grants', () => {
  it.each<[string, string[], string[]]>([
    ['all namespaces', [], ['ClusterRole/']],
    ['one namespace', ['watchNamespaces={team-a}'], ['Role/team-a']],
    ['two namespaces (its caches list cluster-wide)', ['watchNamespaces={team-a,team-b}'], ['ClusterRole/']],
  ])('watching %s, grants StatefulSets in %j', async (_what, set, expected) => {
    const objects = await render('workspace-controller', { set });
    const where = objects
      .filter((o) => (o.kind === 'ClusterRole' || o.kind === 'Role') && decoded<RoleLike>(RoleLike, o, describeObject(o)).rules.some((r) => r.resources.includes('statefulsets')))
      .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`);
    expect(where).toEqual(expected);
  });
});
