/** Events for the transitions a user should see in `kubectl describe` (pure constructors, Karpenter style). */
import type { Event } from '@kaito-ts/controller-runtime';
import type { Instance } from '../cloudprovider/types.js';
import { objectRefOf } from '../client.js';
import type { NodeRequest } from '../node-request.js';

const on = (r: NodeRequest) => objectRefOf(r);
const uid = (r: NodeRequest): string[] => [r.metadata.uid ?? r.metadata.name];

export const LifecycleEvents = {
  launched: (r: NodeRequest, i: Instance): Event => ({
    involvedObject: on(r),
    type: 'Normal',
    reason: 'Launched',
    action: 'Launch',
    message: `launched ${i.instanceType} instance ${i.name} (${i.providerID ?? 'providerID pending'})`,
    dedupeValues: uid(r),
  }),
  launchFailed: (r: NodeRequest, reason: string, message: string): Event => ({
    involvedObject: on(r),
    type: 'Warning',
    reason: 'LaunchFailed',
    action: 'Launch',
    message: `${reason}: ${message}`,
    dedupeValues: [...uid(r), reason],
  }),
  registered: (r: NodeRequest, node: string): Event => ({
    involvedObject: on(r),
    type: 'Normal',
    reason: 'Registered',
    action: 'Register',
    message: `node ${node} registered`,
    dedupeValues: uid(r),
  }),
  initialized: (r: NodeRequest, node: string): Event => ({
    involvedObject: on(r),
    type: 'Normal',
    reason: 'Initialized',
    action: 'Initialize',
    message: `node ${node} initialized: Ready, startup taints gone, requested resources allocatable`,
    dedupeValues: uid(r),
  }),
  expired: (r: NodeRequest, reason: string, message: string): Event => ({
    involvedObject: on(r),
    type: 'Warning',
    reason,
    action: 'Delete',
    message,
    dedupeValues: uid(r),
  }),
  terminating: (r: NodeRequest): Event => ({
    involvedObject: on(r),
    type: 'Normal',
    reason: 'Terminating',
    action: 'Delete',
    message: 'deleting the node and the instance',
    dedupeValues: uid(r),
  }),
  nodeDeleted: (r: NodeRequest, node: string): Event => ({
    involvedObject: on(r),
    type: 'Normal',
    reason: 'NodeDeleted',
    action: 'Delete',
    message: `node ${node} was deleted; deleting this request and its instance`,
    dedupeValues: uid(r),
  }),
  linkedInstanceGone: (r: NodeRequest, providerID: string): Event => ({
    involvedObject: on(r),
    type: 'Warning',
    reason: 'InstanceNotFound',
    action: 'Delete',
    message: `instance ${providerID} named by karpenter.sh/linked does not exist at the provider; deleting this request`,
    dedupeValues: uid(r),
  }),
  instanceGone: (r: NodeRequest): Event => ({
    involvedObject: on(r),
    type: 'Warning',
    reason: 'InstanceNotFound',
    action: 'Delete',
    message: `instance ${r.status.providerID ?? ''} no longer exists at the provider; deleting this request`,
    dedupeValues: uid(r),
  }),
};
