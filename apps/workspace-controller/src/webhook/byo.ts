/**
 * Bring-your-own nodes, on CREATE of a preset inference Workspace without `resource.instanceType`:
 * the nodes its selector matches (reserved keys stripped) must exist in the controller's Node
 * cache and carry NVIDIA GPU feature discovery's labels, the same product, count and memory on
 * every one, so one plan serves them all. A partitioned (MIG, accelerator) Workspace is sized by
 * its partition, not by whole-node labels, and a template Workspace's needs are unknown: both skip.
 */
import type { Node } from '@kaito-ts/karpenter';
import { selectorLabels } from './selector.js';
import { error, type Finding, type WorkspaceRule } from './types.js';

/** GPU feature discovery's node labels (what Kaito reads in BYO mode). */
export const GpuLabels = {
  product: 'nvidia.com/gpu.product',
  count: 'nvidia.com/gpu.count',
  memory: 'nvidia.com/gpu.memory',
} as const;

const PATH = 'resource.labelSelector';

const matches = (node: Node, labels: Readonly<Record<string, string>>): boolean =>
  Object.entries(labels).every(([k, v]) => node.metadata.labels?.[k] === v);

const shown = (labels: Readonly<Record<string, string>>): string =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;

export const byoNodeRules: WorkspaceRule = ({ operation, workspace: ws, cluster }) => {
  if (operation !== 'CREATE' || ws.inference?.preset === undefined) return [];
  if ((ws.resource.instanceType ?? '') !== '' || ws.resource.partition !== undefined) return [];
  const labels = selectorLabels(ws);
  if (labels === undefined) return []; // selector.ts says why it is not a label map
  const nodes = cluster.nodes.filter((n) => matches(n, labels)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (nodes.length === 0) {
    const example = Object.entries(labels)[0];
    return [
      error(
        PATH,
        `no node matches ${shown(labels)}: without resource.instanceType the Workspace runs on existing GPU nodes with these labels; label them (e.g. kubectl label node <node> ${example !== undefined ? `${example[0]}=${example[1]}` : 'apps=phi-3'}) or set resource.instanceType to provision nodes`,
      ),
    ];
  }
  const out: Finding[] = [];
  const first = nodes[0];
  for (const node of nodes) {
    const missing = Object.values(GpuLabels).filter((k) => node.metadata.labels?.[k] === undefined);
    if (missing.length > 0) {
      out.push(error(PATH, `node ${node.metadata.name} matches but has no ${missing.join(', ')} label${missing.length > 1 ? 's' : ''}: install NVIDIA GPU feature discovery (it labels GPU nodes), or select other nodes`));
      continue;
    }
    if (first === undefined || node === first) continue;
    for (const [what, key] of Object.entries(GpuLabels)) {
      const a = first.metadata.labels?.[key];
      const b = node.metadata.labels?.[key];
      if (a !== undefined && a !== b) {
        out.push(error(PATH, `the selected nodes differ in GPU ${what}: ${first.metadata.name} has ${key}=${a}, ${node.metadata.name} has ${b ?? 'none'}; one Workspace needs identical GPU nodes, so narrow the selector`));
      }
    }
  }
  return out;
};
