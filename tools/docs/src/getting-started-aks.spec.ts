/**
 * docs/getting-started-aks.md cannot run here (it needs Azure), so this holds what it tells a user
 * to type to the code: every `--set` key of its `helm install` commands is a value of that chart,
 * every Workspace it applies passes the CRD's codec and the admission webhook's rules, and the
 * device plugin it installs tolerates the taint the node requests carry.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { type AdapterSpec, WorkspaceV1alpha1 } from '@kaito-ts/api';
import { decodeOrThrow } from '@kaito-ts/core';
import { KAITO_GPU_TAINT } from '@kaito-ts/karpenter';
import { validateWorkspace } from '@kaito-ts/workspace-controller';
import { makeAdmissionInput } from '@kaito-ts/workspace-controller/testing';

const root = resolve(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs/getting-started-aks.md'), 'utf8');
const shellBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

/** The example values a reader's shell would put in for the guide's variables. */
const EXAMPLE_ENV: Readonly<Record<string, string>> = { REGISTRY: 'kaitots1234.azurecr.io' };
const substitute = (text: string): string => text.replace(/\$([A-Z_]+)/g, (whole, name: string) => EXAMPLE_ENV[name] ?? whole);

/** The manifests piped into `kubectl apply -f - <<EOF … EOF` (one object each). */
const applied = shellBlocks.flatMap((block) => [...block.matchAll(/kubectl apply -f - <<'?EOF'?\n([\s\S]*?)\nEOF/g)].map((m) => parse(substitute(m[1] ?? '')) as Record<string, unknown>));

/** `helm install <release> charts/<chart> …` commands, joined across `\` line ends. */
const helmInstalls = shellBlocks
  .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
  .filter((line) => line.startsWith('helm install '))
  .map((line) => ({ chart: /charts\/([a-z-]+)/.exec(line)?.[1] ?? '', keys: [...line.matchAll(/--set(?:-string|-json)? '?([A-Za-z.]+)=/g)].map((m) => m[1] ?? '') }));

/** Leaf keys of a chart's values.yaml (`azure.subscriptionId`, `tuning.secretNamespaces`). */
function valueKeys(chart: string): Set<string> {
  const walk = (v: unknown, prefix: string): string[] =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0
      ? Object.entries(v).flatMap(([k, child]) => [`${prefix}${k}`, ...walk(child, `${prefix}${k}.`)])
      : [];
  return new Set(walk(parse(readFileSync(join(root, 'charts', chart, 'values.yaml'), 'utf8')), ''));
}

describe('docs/getting-started-aks.md', () => {
  it('installs both charts', () => {
    expect(helmInstalls.map((h) => h.chart).sort()).toEqual(['gpu-provisioner', 'workspace-controller']);
  });

  it.each(helmInstalls.map((h) => [h.chart, h.keys] as const))('sets only values the %s chart has', (chart, keys) => {
    expect(keys.length).toBeGreaterThan(0);
    const known = valueKeys(chart);
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
  });

  it('applies a tuning Workspace and an inference Workspace that uses its output image as an adapter', () => {
    const workspaces = applied.filter((o) => o['kind'] === 'Workspace').map((o) => decodeOrThrow(WorkspaceV1alpha1, o, `Workspace ${String((o['metadata'] as { name?: string }).name)}`));
    const tuning = workspaces.find((w) => w.tuning !== undefined);
    const inference = workspaces.find((w) => w.inference !== undefined);
    expect(tuning?.tuning?.output.image).toBe('kaitots1234.azurecr.io/adapters/phi-3:0.0.1');
    expect(inference?.inference?.adapters?.map((a: AdapterSpec) => a.source.image)).toEqual([tuning?.tuning?.output.image]);
  });

  it('applies Workspaces the admission webhook admits', () => {
    for (const o of applied.filter((x) => x['kind'] === 'Workspace')) {
      const workspace = decodeOrThrow(WorkspaceV1alpha1, o);
      expect(validateWorkspace(makeAdmissionInput({ workspace })).errors).toEqual([]);
    }
  });

  it('installs a device plugin that tolerates the taint of the GPU nodes', () => {
    const ds = applied.find((o) => o['kind'] === 'DaemonSet') as { spec: { template: { spec: { tolerations: Array<Record<string, string>> } } } } | undefined;
    expect(ds?.spec.template.spec.tolerations).toContainEqual({ key: KAITO_GPU_TAINT.key, operator: 'Equal', value: KAITO_GPU_TAINT.value, effect: KAITO_GPU_TAINT.effect });
  });

  it('federates the ServiceAccount the gpu-provisioner chart makes for release gpu-provisioner in namespace gpu-provisioner', () => {
    // The chart's full name is the release name when it already holds the chart's name (gp.fullname).
    expect(doc).toContain('helm install gpu-provisioner charts/gpu-provisioner \\\n  --namespace gpu-provisioner');
    expect(doc).toContain('--subject system:serviceaccount:gpu-provisioner:gpu-provisioner');
    expect(readFileSync(join(root, 'charts/gpu-provisioner/templates/_helpers.tpl'), 'utf8')).toContain('{{- if contains .Chart.Name .Release.Name -}}\n{{- .Release.Name');
  });
});
