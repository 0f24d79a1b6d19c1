/**
 * Workspaces as a user writes them (the seed's v1alpha1 example), applied with kubectl, and the
 * waits every scenario shares: all three conditions True, one condition with a reason, and
 * "deleted, and nothing left behind".
 */
import { API_VERSION_V1ALPHA1, ConditionType, type Workspace } from '@kaito-ts/api';
import type { KubeClient } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { kubectlApply } from './kubectl.js';
import { conditionOf, leftovers, Workspaces } from './kube.js';

export interface InferenceWorkspaceSpec {
  readonly name: string;
  readonly namespace: string;
  /** Default the seed's `Standard_NC6s_v3`. */
  readonly instanceType?: string;
  /** Default `phi-3-mini-4k-instruct`. */
  readonly preset?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly count?: number;
}

/** The seed's inference Workspace (kaito.sh/v1alpha1, fields at the top level) as a JSON document kubectl applies. */
export function inferenceWorkspaceManifest(s: InferenceWorkspaceSpec): string {
  return JSON.stringify({
    apiVersion: API_VERSION_V1ALPHA1,
    kind: 'Workspace',
    metadata: { name: s.name, namespace: s.namespace, ...(s.annotations !== undefined ? { annotations: s.annotations } : {}) },
    resource: {
      ...(s.count !== undefined ? { count: s.count } : {}),
      instanceType: s.instanceType ?? 'Standard_NC6s_v3',
      labelSelector: { matchLabels: s.matchLabels ?? { apps: s.name } },
    },
    inference: { preset: { name: s.preset ?? 'phi-3-mini-4k-instruct' } },
  });
}

export function applyInferenceWorkspace(s: InferenceWorkspaceSpec): Promise<string> {
  return kubectlApply(inferenceWorkspaceManifest(s));
}

const READY_TYPES = [ConditionType.ResourceReady, ConditionType.InferenceReady, ConditionType.WorkspaceReady] as const;

/** Waits until ResourceReady, InferenceReady and WorkspaceReady are True; returns the Workspace. */
export function waitForReady(kube: KubeClient, name: string, namespace: string, timeoutMs = 90_000): Promise<Workspace> {
  return eventually(
    async () => {
      const ws = await kube.get(Workspaces, name, namespace);
      const notTrue = READY_TYPES.filter((t) => conditionOf(ws, t)?.status !== 'True');
      if (notTrue.length > 0) throw new Error(`not True: ${notTrue.map((t) => `${t} (${conditionOf(ws, t)?.reason ?? 'absent'}: ${conditionOf(ws, t)?.message ?? ''})`).join(', ')}`);
      return ws;
    },
    { timeoutMs, intervalMs: 300, description: `${namespace}/${name}: ResourceReady, InferenceReady and WorkspaceReady True` },
  );
}

/** Waits until condition `type` has `reason` (and `status` and a `message` matching, if given); returns the Workspace. */
export function waitForReason(
  kube: KubeClient,
  name: string,
  namespace: string,
  type: string,
  reason: string,
  opts: { status?: string; message?: RegExp; timeoutMs?: number } = {},
): Promise<Workspace> {
  return eventually(
    async () => {
      const ws = await kube.get(Workspaces, name, namespace);
      const c = conditionOf(ws, type);
      if (c?.reason !== reason || (opts.status !== undefined && c.status !== opts.status) || (opts.message !== undefined && !opts.message.test(c.message ?? ''))) {
        throw new Error(`${type} is ${c?.status ?? 'absent'} ${c?.reason ?? ''}: ${c?.message ?? ''}`);
      }
      return ws;
    },
    { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 300, description: `${namespace}/${name}: ${type} reason ${reason}${opts.message !== undefined ? ` message ${String(opts.message)}` : ''}` },
  );
}

/** Deletes the Workspace and waits until it, and everything made for it in `namespace`, is gone. */
export async function deleteAndExpectNothingLeft(kube: KubeClient, name: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  await kube.delete(Workspaces, { name, namespace });
  await eventually(
    async () => {
      const left = [...((await kube.find(Workspaces, name, namespace)) !== undefined ? [`Workspace ${name}`] : []), ...(await leftovers(kube, namespace))];
      if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
      return true;
    },
    { timeoutMs, intervalMs: 500, description: `no Workspace, Machine, NodeClaim, Node, StatefulSet, Service or Pod of ${namespace} left` },
  );
}

/**
 * For afterAll, before the controller stops: deletes every Workspace left in `namespace` and waits
 * for it and all it made to go, so a failed test leaves no node request behind whose provisioner is
 * about to stop (its finalizer would hold it forever).
 */
export async function removeAllWorkspaces(kube: KubeClient, namespace: string, timeoutMs = 60_000): Promise<void> {
  for (const ws of await kube.list(Workspaces, { namespace })) await kube.delete(Workspaces, { name: ws.metadata.name, namespace });
  await eventually(
    async () => {
      const left = [...(await kube.list(Workspaces, { namespace })).map((w) => `Workspace ${w.metadata.name}`), ...(await leftovers(kube, namespace))];
      if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
      return true;
    },
    { timeoutMs, intervalMs: 500, description: `everything of ${namespace} gone before the processes stop` },
  );
}
