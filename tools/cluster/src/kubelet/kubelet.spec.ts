import type { KubeObject } from '@kaito-ts/controller-runtime';
import { PROCESS_KUBELET_LABEL } from '../gpu-node.js';
import { RUN_AS_PROCESS_ANNOTATION, servesPod } from './kubelet.js';
import type { Pod } from './types.js';

const pod = (nodeName: string | undefined, annotated: boolean): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', ...(annotated ? { annotations: { [RUN_AS_PROCESS_ANNOTATION]: 'true' } } : {}) },
  spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: [] },
});
const node = (kubelet?: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', ...(kubelet !== undefined ? { labels: { [PROCESS_KUBELET_LABEL]: kubelet } } : {}) } }) as KubeObject;

describe('servesPod', () => {
  it('runs the pods of nodes labelled for this kubelet, annotated or not', () => {
    expect(servesPod(pod('n', false), node('a'), 'a', false)).toBe(true);
    expect(servesPod(pod('n', true), node('a'), 'a', true)).toBe(true);
  });

  it('leaves an annotated pod on another kubelet\'s node to that kubelet, so only one runs it', () => {
    expect(servesPod(pod('n', true), node('b'), 'a', true)).toBe(false);
    expect(servesPod(pod('n', true), node('a'), 'a', true)).toBe(true);
  });

  it('runs annotated pods on other nodes only when it serves annotated pods', () => {
    expect(servesPod(pod('n', true), node(), 'a', true)).toBe(true);
    expect(servesPod(pod('n', true), node(), 'a', false)).toBe(false);
    expect(servesPod(pod('n', false), node(), 'a', true)).toBe(false);
  });

  it('runs nothing unbound or on a node that is gone', () => {
    expect(servesPod(pod(undefined, true), node(), 'a', true)).toBe(false);
    expect(servesPod(pod('n', true), undefined, 'a', true)).toBe(false);
  });
});
