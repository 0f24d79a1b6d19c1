import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { desiredTemplateWorkload, templateProblem } from './template-workload.js';
import { REVISION_HASH_ANNOTATION } from './revision.js';

const template = {
  metadata: { labels: { team: 'a' } },
  spec: {
    containers: [{ name: 'server', image: 'example.com/llm:1', ports: [{ name: 'metrics', containerPort: 9090 }, { name: 'http', containerPort: 8000 }] }],
    tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } }, podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
  },
};
const workspace = { ...makeInferenceWorkspace(), inference: { template } };

describe('desiredTemplateWorkload', () => {
  const { statefulSet, service, headlessService } = desiredTemplateWorkload({ workspace, nodeCount: 2 });
  const pod = statefulSet.spec?.template;

  it('runs the user’s containers in a StatefulSet named after the Workspace, one replica per node', () => {
    expect(statefulSet.metadata).toMatchObject({ name: 'workspace-phi-3', namespace: 'default', ownerReferences: [{ kind: 'Workspace', controller: true }] });
    expect(statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    expect(statefulSet.spec).toMatchObject({ replicas: 2, serviceName: 'workspace-phi-3-headless', selector: { matchLabels: { 'kaito.sh/workspace': 'workspace-phi-3' } } });
    expect(pod?.spec?.containers).toEqual(template.spec.containers);
  });

  it('labels the pods for the Workspace, keeping the user’s labels', () => {
    expect(pod?.metadata?.labels).toEqual({ team: 'a', 'kaito.sh/workspace': 'workspace-phi-3' });
  });

  it('replaces the node affinity with the Workspace’s nodes, keeping the rest of the affinity', () => {
    expect(pod?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'apps', operator: 'In', values: ['phi-3'] },
          { key: 'kaito.sh/workspace', operator: 'In', values: ['workspace-phi-3'] },
          { key: 'kaito.sh/workspacenamespace', operator: 'In', values: ['default'] },
        ],
      },
    ]);
    expect(pod?.spec?.affinity?.podAffinity).toEqual({ preferredDuringSchedulingIgnoredDuringExecution: [] });
  });

  it('appends the GPU tolerations the template lacks, once', () => {
    expect(pod?.spec?.tolerations).toEqual([
      { key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('serves port 80 to the template’s http port, with the headless Service', () => {
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 80, targetPort: 8000, protocol: 'TCP' }]);
    expect(headlessService.metadata?.name).toBe('workspace-phi-3-headless');
  });

  it('serves port 5000 when the template declares no port', () => {
    const plain = { ...makeInferenceWorkspace(), inference: { template: { spec: { containers: [{ name: 's', image: 'i' }] } } } };
    expect(desiredTemplateWorkload({ workspace: plain, nodeCount: 1 }).service.spec?.ports?.[0]?.targetPort).toBe(5000);
  });

  it('pins bring-your-own pods by the selector only', () => {
    const byo = desiredTemplateWorkload({ workspace, nodeCount: 1, byo: {} });
    expect(byo.statefulSet.spec?.template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: 'apps', operator: 'In', values: ['phi-3'] }] }]);
  });
});

describe('templateProblem', () => {
  it.each([
    [undefined, 'inference.template.spec.containers: expected at least one container, e.g. [{name: server, image: …}]'],
    [{ spec: { containers: [] } }, 'inference.template.spec.containers: expected at least one container, e.g. [{name: server, image: …}]'],
    [{ spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b' }] } }, 'inference.template.spec.containers[1]: expected a name and an image'],
    [{ spec: { containers: [{ name: 'a', image: 'i' }] } }, undefined],
  ])('for %j is %s', (t, want) => {
    expect(templateProblem(t)).toBe(want);
  });
});
