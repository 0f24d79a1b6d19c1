/** The one Node write registration and initialization make: the difference to what they planned. */
import { type KubeClient, mergePatchFor } from '@kaito-ts/controller-runtime';
import { NodeResource } from '../client.js';
import type { Node } from '../codecs/node.js';

/**
 * Writes the difference between `node` and `desired` in labels, annotations, finalizers, owners
 * and taints, guarded by resourceVersion (lists are replaced whole, so a stale read must fail
 * with 409, never overwrite). Returns the Node as stored (`node` itself when nothing differs).
 */
export async function patchNode(kube: KubeClient, node: Node, desired: Node): Promise<Node> {
  const pick = (n: Node) => ({
    metadata: {
      labels: n.metadata.labels ?? {},
      annotations: n.metadata.annotations ?? {},
      finalizers: n.metadata.finalizers ?? [],
      ownerReferences: n.metadata.ownerReferences ?? [],
    },
    spec: { taints: n.spec?.taints ?? [] },
  });
  const patch = mergePatchFor(pick(node), pick(desired)) as { metadata?: Record<string, unknown> } | undefined;
  if (patch === undefined) return node;
  const body = { ...patch, metadata: { ...patch.metadata, resourceVersion: node.metadata.resourceVersion } };
  return kube.mergePatch(NodeResource, { name: node.metadata.name }, body);
}

/** `nodes` with `updated` in place of the Node of the same name. */
export function replaceNode(nodes: readonly Node[], updated: Node): readonly Node[] {
  return nodes.map((n) => (n.metadata.name === updated.metadata.name ? updated : n));
}
