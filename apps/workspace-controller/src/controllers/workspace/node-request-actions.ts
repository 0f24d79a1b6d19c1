/**
 * The node-request calls both Workspace controllers make (inference: one request per planned
 * node; tuning: one), in one place so they create the same objects the same way: exactly the
 * planned count under deterministic names (a pass that runs again before its cache caught up gets
 * 409 AlreadyExists, never a duplicate), Kaito's labels, taint, instance type and
 * `kaito.sh/node-image-family`; and release them by UID.
 */
import type { Workspace } from '@kaito-ts/api';
import { type EventRecorder, ignoreAlreadyExists, type Logger } from '@kaito-ts/controller-runtime';
import { isDeleting, type NodeRequest, type NodeRequestClient } from '@kaito-ts/karpenter';
import { desiredNodeRequest } from './node-requests.js';
import { plannedRequestNames, requestsToCreate } from './plan.js';

export interface WorkspaceIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

export interface NodeRequestActions {
  /** Creates the planned requests `live` (the Workspace's requests from the cache) lacks; returns the live ones plus those created. */
  ensure(ws: Workspace, identity: WorkspaceIdentity, live: readonly NodeRequest[], plan: { readonly count: number; readonly gpusPerNode: number }, log: Logger): Promise<NodeRequest[]>;
  /** Deletes every request not already being deleted (by UID, so a same-named successor is safe). */
  release(owned: readonly NodeRequest[], log: Logger): Promise<void>;
}

export function nodeRequestActions(client: NodeRequestClient, events: EventRecorder): NodeRequestActions {
  return {
    async ensure(ws, identity, all, plan, log) {
      const live = all.filter((r) => !isDeleting(r));
      const instanceType = ws.resource.instanceType ?? '';
      const nodeImageFamily = ws.metadata.annotations?.['kaito.sh/node-image-family'];
      const created: NodeRequest[] = [];
      for (const name of requestsToCreate(plannedRequestNames(identity, plan.count), live)) {
        const desired = desiredNodeRequest({
          api: client.api,
          name,
          workspace: identity,
          instanceType,
          gpuCount: plan.gpusPerNode,
          ...(ws.resource.labelSelector.matchLabels !== undefined ? { matchLabels: ws.resource.labelSelector.matchLabels } : {}),
          ...(nodeImageFamily !== undefined ? { nodeImageFamily } : {}),
        });
        const made = await client.create(desired).catch(ignoreAlreadyExists);
        if (made === undefined) continue; // created by an earlier pass the cache has not shown yet
        created.push(made);
        log.info('created node request', { request: name, instanceType });
        events.publish({ involvedObject: ws, type: 'Normal', reason: 'NodeRequestCreated', message: `created ${client.api} ${name} for a ${instanceType} node` });
      }
      return [...live, ...created];
    },
    async release(owned, log) {
      for (const r of owned.filter((x) => !isDeleting(x))) {
        await client.delete(r.metadata.name, r.metadata.uid !== undefined ? { uid: r.metadata.uid } : {});
        log.info('deleted node request', { request: r.metadata.name });
      }
    },
  };
}
