import type { V1Pod } from '@kubernetes/client-node';
import { makeContainerStatus as container, makePod } from '../../testing/index.js';
import { podHealth } from './pod-health.js';

const waiting = (reason: string, message = '') => container({ ready: false, state: { waiting: { reason, message } } });
const oomKilled = { terminated: { reason: 'OOMKilled', exitCode: 137 } };

describe('podHealth', () => {
  it('is ready when the pod is Ready and no container fails', () => {
    expect(podHealth(makePod())).toEqual({ pod: 'workspace-phi-3-0', ready: true, reason: 'InferenceReady', message: '' });
  });

  it.each<[string, V1Pod, string]>([
    ['a crash-looping container', makePod({ ready: false, containers: [waiting('CrashLoopBackOff')] }), 'ContainerCrashLoopBackOff'],
    ['a crash-looping container in a pod still marked Ready', makePod({ ready: true, containers: [waiting('CrashLoopBackOff')] }), 'ContainerCrashLoopBackOff'],
    ['a container OOMKilled now', makePod({ ready: false, containers: [container({ ready: false, state: oomKilled })] }), 'ContainerOOMKilled'],
    ['a container crash-looping after an OOM kill', makePod({ ready: false, containers: [container({ ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: oomKilled })] }), 'ContainerOOMKilled'],
    ['an image that cannot be pulled', makePod({ ready: false, containers: [waiting('ImagePullBackOff', 'not found')] }), 'ImagePullBackOff'],
    ['an image pull error', makePod({ ready: false, containers: [waiting('ErrImagePull')] }), 'ImagePullBackOff'],
    ['a failing init container', makePod({ ready: false, phase: 'Pending', initContainers: [waiting('CrashLoopBackOff')] }), 'ContainerCrashLoopBackOff'],
    ['a pod no node fits', makePod({ ready: false, phase: 'Pending', containers: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }), 'Unschedulable'],
    ['a pod still loading its model', makePod({ ready: false, containers: [container({ ready: false })] }), 'InferencePending'],
    ['a terminating pod', makePod({ deleting: true }), 'InferencePending'],
    ['a pod without status', { metadata: { name: 'p' } }, 'InferencePending'],
  ])('is not ready with %s', (_name, pod, reason) => {
    const health = podHealth(pod);
    expect(health.ready).toBe(false);
    expect(health.reason).toBe(reason);
  });

  it('reports OOM over the crash loop it causes in another container', () => {
    const pod = makePod({ ready: false, containers: [waiting('CrashLoopBackOff'), container({ name: 'sidecar', ready: false, state: oomKilled })] });
    expect(podHealth(pod).reason).toBe('ContainerOOMKilled');
  });

  it('forgets an OOM kill once the container is back and Ready', () => {
    expect(podHealth(makePod({ containers: [container({ ready: true, lastState: oomKilled, restartCount: 1 })] })).ready).toBe(true);
  });

  it.each([
    ['the scheduler’s message', makePod({ ready: false, containers: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }), '0/3 nodes are available'],
    ['the kubelet’s pull message', makePod({ ready: false, containers: [waiting('ImagePullBackOff', 'manifest unknown')] }), 'manifest unknown'],
    ['the restart count and how to read the logs', makePod({ ready: false, containers: [container({ ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } })] }), '4 restarts'],
  ])('carries %s', (_name, pod, text) => {
    expect(podHealth(pod).message).toContain(text);
  });
});
