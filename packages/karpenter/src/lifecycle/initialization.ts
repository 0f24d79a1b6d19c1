/**
 * Initialization (Karpenter v1 `lifecycle/initialization.go`): the registered Node is Ready, no
 * startup or ephemeral taint remains, and every requested resource (but `storage`, which no Node
 * advertises) is allocatable and non-zero; then the Node is labelled
 * `karpenter.sh/initialized=true`. Decided once: an initialized request is not re-examined. The
 * decision is pure (`planInitialization`); `Initialization` writes the Node and the status, and
 * polls while it waits, in case a Node event is missed.
 */
import type { Node } from '../codecs/node.js';
import { type ConditionInput, setLifecycleCondition } from '../conditions.js';
import { ConditionTypes, EPHEMERAL_TAINT_KEYS, KarpenterLabels, Reasons, ResourceNames } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { isInitialized, isLaunched, isNodeReady, isRegistered, sameTaintKey } from '../predicates.js';
import { quantityOf } from '@kaito-ts/controller-runtime';
import type { AspectDeps, AspectResult, LifecycleAspect, Observed, ReconcileScope } from './context.js';
import { LifecycleEvents } from './events.js';
import { patchNode, replaceNode } from './node-patch.js';

export interface InitializationOutcome {
  readonly condition: ConditionInput;
  readonly desiredNode?: Node;
}

/** Requested resources that are missing or zero in the Node's allocatable (`storage` exempt). */
export function missingResources(r: NodeRequest, node: Node): string[] {
  const missing: string[] = [];
  for (const [name, value] of Object.entries(r.spec.resources.requests)) {
    if (name === ResourceNames.storage) continue;
    const requested = quantityOf({ [name]: value }, name) ?? 0;
    if (requested <= 0) continue;
    const have = quantityOf(node.status?.allocatable, name) ?? 0;
    if (have <= 0) missing.push(name);
  }
  return missing;
}

export function planInitialization(r: NodeRequest, node: Node | undefined): InitializationOutcome {
  if (node === undefined) {
    return { condition: { type: ConditionTypes.initialized, status: 'Unknown', reason: Reasons.awaitingRegistration, message: 'waiting for the node to register' } };
  }
  const name = node.metadata.name;
  if (!isNodeReady(node)) {
    return { condition: { type: ConditionTypes.initialized, status: 'Unknown', reason: Reasons.nodeNotReady, message: `node ${name} is not Ready` } };
  }
  const taints = node.spec?.taints ?? [];
  const startup = taints.filter((t) => r.spec.startupTaints.some((s) => sameTaintKey(s, t)));
  if (startup.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.startupTaintsRemain,
        message: `node ${name} still has startup taints ${startup.map((t) => `${t.key}:${t.effect}`).join(', ')}`,
      },
    };
  }
  const ephemeral = taints.filter((t) => EPHEMERAL_TAINT_KEYS.includes(t.key));
  if (ephemeral.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.nodeNotReady,
        message: `node ${name} still has taints ${ephemeral.map((t) => `${t.key}:${t.effect}`).join(', ')}`,
      },
    };
  }
  const missing = missingResources(r, node);
  if (missing.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.resourcesNotAllocatable,
        message: `node ${name} has no allocatable ${missing.join(', ')} yet`,
      },
    };
  }
  const desiredNode =
    node.metadata.labels?.[KarpenterLabels.initialized] === 'true'
      ? undefined
      : { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, [KarpenterLabels.initialized]: 'true' } } };
  return {
    condition: { type: ConditionTypes.initialized, status: 'True', reason: Reasons.initialized, message: '' },
    ...(desiredNode !== undefined ? { desiredNode } : {}),
  };
}

/** The initialization aspect: once registered, waits for the Node to be usable and marks it. */
export class Initialization implements LifecycleAspect {
  readonly name = 'initialization';
  readonly #d: AspectDeps;

  constructor(deps: AspectDeps) {
    this.#d = deps;
  }

  async reconcile(o: Observed, scope: ReconcileScope): Promise<AspectResult> {
    const r = o.request;
    if (!isLaunched(r) || isInitialized(r)) return o;
    const registered = isRegistered(r) ? o.nodes.find((n) => n.metadata.name === r.status.nodeName) : undefined;
    const plan = planInitialization(r, registered);
    let nodes = o.nodes;
    let node = registered;
    if (node !== undefined && plan.desiredNode !== undefined) {
      node = await patchNode(this.#d.kube, node, plan.desiredNode);
      nodes = replaceNode(nodes, node);
    }
    const now = new Date(this.#d.clock.now());
    const updated = await this.#d.requests.patchStatus(r, { ...r.status, conditions: setLifecycleCondition(r.status.conditions, plan.condition, now, r.metadata.generation) });
    if (isInitialized(updated) && node !== undefined) {
      this.#d.events.publish(LifecycleEvents.initialized(updated, node.metadata.name));
      scope.log.info('initialized node', { node: node.metadata.name });
      return { request: updated, nodes };
    }
    return { request: updated, nodes, requeueAfterMs: this.#d.options.registrationPollMs };
  }
}
