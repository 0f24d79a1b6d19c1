// Running the pinned helm binary (tools/cluster/versions.env, built by build-binaries.sh like the
// cluster's binaries) and reading what it renders.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { binaryPath, clusterPaths, ensureBinaries, repoRoot } from '@kaito-ts/cluster';

export const CHART_NAMES = ['workspace-controller', 'gpu-provisioner', 'kwok-provisioner'] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export const chartDir = (chart: ChartName): string => join(repoRoot(), 'charts', chart);

/** The helm binary, built from the Go module proxy on first use (cached in ~/.cache/kaito-ts/bin). */
export async function helmBinary(): Promise<string> {
  const paths = clusterPaths();
  await ensureBinaries(paths, { names: ['helm'] });
  return binaryPath(paths, 'helm');
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm; never throws on a non-zero exit (tests assert on the code and the message). */
export async function helm(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<HelmResult> {
  const bin = await helmBinary();
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

/** The values every gpu-provisioner render needs (the AKS cluster it provisions for). */
export const GPU_PROVISIONER_REQUIRED = [
  'azure.subscriptionId=00000000-0000-0000-0000-000000000000',
  'azure.resourceGroup=rg-kaito',
  'azure.clusterName=aks-kaito',
  'azure.location=eastus',
  'workloadIdentity.clientId=11111111-1111-1111-1111-111111111111',
];

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  readonly set?: readonly string[];
  readonly setString?: readonly string[];
  /** `--set-json` (maps whose keys hold dots, e.g. annotations). */
  readonly setJson?: readonly string[];
}

/** `--set`, `--set-string` and `--set-json` flags, with the gpu-provisioner's required values first. */
export function valueFlags(chart: ChartName, o: RenderOptions): string[] {
  const set = [...(chart === 'gpu-provisioner' ? GPU_PROVISIONER_REQUIRED : []), ...(o.set ?? [])];
  return [...set.flatMap((s) => ['--set', s]), ...(o.setString ?? []).flatMap((s) => ['--set-string', s]), ...(o.setJson ?? []).flatMap((s) => ['--set-json', s])];
}

/** `helm template`; throws with helm's message when it fails. */
export async function renderText(chart: ChartName, o: RenderOptions = {}): Promise<string> {
  const r = await helm(['template', o.release ?? 'kaito', chartDir(chart), '--namespace', o.namespace ?? 'kaito-system', ...valueFlags(chart, o)]);
  if (r.code !== 0) throw new Error(`helm template ${chart} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

export function parseObjects(text: string): Rendered[] {
  const out: Rendered[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value as Rendered);
  }
  return out;
}

export async function render(chart: ChartName, o: RenderOptions = {}): Promise<Rendered[]> {
  return parseObjects(await renderText(chart, o));
}
