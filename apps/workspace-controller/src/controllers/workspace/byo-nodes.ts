/**
 * Bring-your-own nodes (a pure planner): which existing Nodes serve a Workspace that the controller
 * does not provision for, and why the others do not. Kaito's BYO provisioner
 * (`kaito-project/kaito: pkg/nodeprovision/byo-provisioner/byo_provisioner.go`, `pkg/sku/helpers.go`)
 * takes the Nodes matching the Workspace's `labelSelector` (reserved keys stripped) and reads their
 * GPUs from GPU Feature Discovery labels; `resource.preferredNodes` is not read (as Kaito v0.12).
 *
 * A Node serves when it matches the selector, is Ready, not cordoned or deleting, has
 * `nvidia.com/gpu` allocatable, carries the Workspace's `instanceType` when one is set, and has the
 * same GPUs as the first such Node by name: the plan is made for one kind of GPU. Its GPUs come
 * from the catalog when its `node.kubernetes.io/instance-type` is a catalog SKU, else from the GFD
 * labels `nvidia.com/gpu.product`, `nvidia.com/gpu.count` and `nvidia.com/gpu.memory` (MiB).
 */
import { Labels, RESERVED_LABEL_KEYS, Reason, type LabelSelector } from '@kaito-ts/api';
import { gpuAllocatable, isNodeReady, type Node, WellKnownLabels } from '@kaito-ts/karpenter';
import { findSku, listSkus, type GpuSku } from '@kaito-ts/presets';

/** GPU Feature Discovery's node labels (Kaito reads the same). */
export const GpuLabels = {
  product: 'nvidia.com/gpu.product',
  count: 'nvidia.com/gpu.count',
  /** per GPU, MiB */
  memory: 'nvidia.com/gpu.memory',
} as const;

/**
 * Compute capability assumed for a GPU the catalog does not know: 7.0 (V100), the oldest the
 * runtimes support, so the plan never picks bf16 on a GPU that may not have it.
 */
const FALLBACK_COMPUTE_CAPABILITY = '7.0';
/** How many skipped Nodes a status message names before it counts the rest. */
const NAMED_SKIPS = 5;

/** The label that names a Node's hardware, which the inference pods are then pinned to. */
export interface HardwareLabel {
  readonly key: string;
  readonly value: string;
}

export type NodeGpus = { readonly ok: true; readonly sku: GpuSku; readonly hardwareLabel: HardwareLabel } | { readonly ok: false; readonly why: string };

/** The Workspace's selector without the keys the controller owns (Kaito's `SanitizedMatchLabels`). */
export function sanitizedSelector(selector: LabelSelector): LabelSelector {
  const matchLabels = Object.fromEntries(Object.entries(selector.matchLabels ?? {}).filter(([k]) => !RESERVED_LABEL_KEYS.includes(k)));
  return { matchLabels, matchExpressions: [...(selector.matchExpressions ?? [])] };
}

/** Whether the selector picks anything out: one that is empty would take every GPU node of the cluster. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/**
 * Whether labels match a metav1.LabelSelector. Hand-written: @kubernetes/client-node has no
 * matcher, and the four operators are a few lines.
 */
export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, selector: LabelSelector): boolean {
  const l = labels ?? {};
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => l[k] === v);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every((e) => {
      const value = l[e.key];
      switch (e.operator) {
        case 'In':
          return value !== undefined && (e.values ?? []).includes(value);
        case 'NotIn':
          return value === undefined || !(e.values ?? []).includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
      }
      return false;
    })
  );
}

/** The selector as kubectl prints one: `app=llm,zone in (a,b),!spot`. */
export function selectorText(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((e) => {
      const values = (e.values ?? []).join(',');
      if (e.operator === 'In') return `${e.key} in (${values})`;
      if (e.operator === 'NotIn') return `${e.key} notin (${values})`;
      return e.operator === 'Exists' ? e.key : `!${e.key}`;
    }),
  ];
  return parts.length > 0 ? parts.join(',') : '(everything)';
}

const positive = (text: string | undefined): number | undefined => {
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** A Node's GPUs, from the catalog by instance type, else from its GFD labels. */
export function nodeGpus(node: Node): NodeGpus {
  const labels = node.metadata.labels ?? {};
  const instanceType = labels[WellKnownLabels.instanceType];
  const known = instanceType !== undefined ? findSku(instanceType) : undefined;
  if (instanceType !== undefined && known !== undefined) return { ok: true, sku: known, hardwareLabel: { key: WellKnownLabels.instanceType, value: instanceType } };
  const product = labels[GpuLabels.product];
  const count = positive(labels[GpuLabels.count]) ?? (gpuAllocatable(node) > 0 ? gpuAllocatable(node) : undefined);
  const memoryMiB = positive(labels[GpuLabels.memory]);
  if (product === undefined || count === undefined || memoryMiB === undefined) {
    const missing = [product === undefined ? GpuLabels.product : '', count === undefined ? GpuLabels.count : '', memoryMiB === undefined ? GpuLabels.memory : ''].filter((x) => x !== '');
    const type = instanceType !== undefined ? `its instance type ${instanceType} is not in the catalog` : `it has no ${WellKnownLabels.instanceType} label`;
    return { ok: false, why: `${type} and it lacks the GPU Feature Discovery label(s) ${missing.join(', ')}` };
  }
  const sibling = listSkus().find((s) => s.gpuProduct === product);
  const sku: GpuSku = {
    name: instanceType ?? `${count}x${product}`,
    cloud: 'azure-local',
    gpuCount: count,
    gpuMemoryGiB: memoryMiB / 1024,
    ...(sibling?.cudaMemoryGiB !== undefined ? { cudaMemoryGiB: sibling.cudaMemoryGiB } : {}),
    gpuProduct: product,
    vcpu: positive(String(node.status?.capacity?.['cpu'] ?? '')) ?? 1,
    memoryGiB: 1,
    computeCapability: sibling?.computeCapability ?? FALLBACK_COMPUTE_CAPABILITY,
  };
  return { ok: true, sku, hardwareLabel: { key: GpuLabels.product, value: product } };
}

const describeGpus = (s: GpuSku): string => `${s.gpuCount}x ${s.gpuProduct} (${Math.round(s.gpuMemoryGiB)} GiB each)`;
const sameGpus = (a: GpuSku, b: GpuSku): boolean => a.gpuProduct === b.gpuProduct && a.gpuCount === b.gpuCount && Math.abs(a.gpuMemoryGiB - b.gpuMemoryGiB) < 0.5;

export interface SkippedNode {
  readonly node: string;
  readonly why: string;
}

export interface ByoSelection {
  /** The sanitized selector, as text. */
  readonly selector: string;
  /** Nodes matching the selector. */
  readonly matching: number;
  /** Nodes that can serve, by name: the plan is made for the GPUs of the first. */
  readonly eligible: readonly Node[];
  /** Matching Nodes that cannot serve, with why not, by name. */
  readonly skipped: readonly SkippedNode[];
  /** The eligible Nodes' GPUs and hardware label; absent when none is eligible. */
  readonly gpus?: { readonly sku: GpuSku; readonly hardwareLabel: HardwareLabel };
}

function whyNot(node: Node, instanceType: string | undefined): string | undefined {
  if (node.metadata.deletionTimestamp !== undefined) return 'is being deleted';
  if (node.spec?.unschedulable === true) return 'is cordoned (spec.unschedulable)';
  if (!isNodeReady(node)) return 'is not Ready';
  const actual = node.metadata.labels?.[WellKnownLabels.instanceType];
  if (instanceType !== undefined && actual !== instanceType) return `is instance type ${actual ?? '(none)'}, not ${instanceType}`;
  if (gpuAllocatable(node) <= 0) return 'has no nvidia.com/gpu allocatable';
  return undefined;
}

/**
 * The Nodes that can serve a bring-your-own Workspace. `instanceType`, when set, is one more
 * requirement on the Nodes (provisioning mode `byo` with an instance type).
 */
export function selectByoNodes(selector: LabelSelector, nodes: readonly Node[], instanceType?: string): ByoSelection {
  const sanitized = sanitizedSelector(selector);
  // Nodes another Workspace's node requests brought belong to that Workspace.
  const matching = nodes.filter((n) => matchesSelector(n.metadata.labels, sanitized) && n.metadata.labels?.[Labels.workspace] === undefined);
  const sorted = [...matching].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const eligible: Node[] = [];
  const skipped: SkippedNode[] = [];
  let gpus: ByoSelection['gpus'];
  let first = '';
  for (const node of sorted) {
    const name = node.metadata.name;
    const why = whyNot(node, instanceType);
    if (why !== undefined) {
      skipped.push({ node: name, why });
      continue;
    }
    const spec = nodeGpus(node);
    if (!spec.ok) {
      skipped.push({ node: name, why: `has GPUs of unknown kind: ${spec.why}` });
      continue;
    }
    if (gpus === undefined) {
      gpus = { sku: spec.sku, hardwareLabel: spec.hardwareLabel };
      first = name;
    } else if (!sameGpus(gpus.sku, spec.sku) || gpus.hardwareLabel.key !== spec.hardwareLabel.key || gpus.hardwareLabel.value !== spec.hardwareLabel.value) {
      skipped.push({ node: name, why: `has ${describeGpus(spec.sku)}, not ${describeGpus(gpus.sku)} like ${first}` });
      continue;
    }
    eligible.push(node);
  }
  return { selector: selectorText(sanitized), matching: matching.length, eligible, skipped, ...(gpus !== undefined ? { gpus } : {}) };
}

export interface ByoResourceVerdict {
  readonly status: 'True' | 'False';
  readonly reason: Reason;
  readonly message: string;
  /** The Nodes chosen for the workload (the first `target` eligible ones), by name. */
  readonly workerNodes: readonly string[];
}

/** `ResourceReady` of a bring-your-own Workspace that needs `target` Nodes. */
export function byoResourceReady(selection: ByoSelection, target: number): ByoResourceVerdict {
  const chosen = selection.eligible.slice(0, target).map((n) => n.metadata.name);
  const named = selection.skipped.slice(0, NAMED_SKIPS).map((s) => `${s.node} ${s.why}`);
  const more = selection.skipped.length - named.length;
  const skips = `${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  if (chosen.length >= target) {
    const notChosen = named.length > 0 ? `; not chosen: ${skips}` : '';
    return { status: 'True', reason: Reason.NodesReady, message: `${target}/${target} nodes ready, matching ${selection.selector}: ${chosen.join(', ')}${notChosen}`, workerNodes: chosen };
  }
  const why =
    selection.matching === 0
      ? 'no node has these labels; label GPU nodes with them, or change resource.labelSelector'
      : named.length > 0
        ? skips
        : `only ${selection.eligible.length} node(s) match; add nodes or lower resource.count`;
  return { status: 'False', reason: Reason.NodesNotFound, message: `${chosen.length} of ${target} nodes matching ${selection.selector}: ${why}`, workerNodes: chosen };
}
