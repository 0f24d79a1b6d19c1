import { readFileSync } from 'node:fs';
import { manifestFiles, parseYamlObjects } from './apply.js';
import { stagesDir } from './cluster.js';
import { SIMULATE_ANNOTATION, SIMULATED_OUTCOMES } from './simulate.js';

interface Stage {
  kind: string;
  metadata: { name: string };
  spec: {
    resourceRef: { kind: string };
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    next: { statusTemplate?: string; delete?: boolean };
  };
}

const stages = manifestFiles(stagesDir()).flatMap((f) => parseYamlObjects(readFileSync(f, 'utf8'))) as unknown as Stage[];
const byName = new Map(stages.map((s) => [s.metadata.name, s]));
const annotationKey = `.metadata.annotations["${SIMULATE_ANNOTATION}"]`;

describe('kwok stages', () => {
  it('include the defaults kwokctl would otherwise install', () => {
    for (const name of ['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-complete', 'pod-delete']) {
      expect(byName.get(name)?.kind).toBe('Stage');
    }
  });

  it.each(SIMULATED_OUTCOMES)('have a stage selecting pods annotated %s', (outcome) => {
    const stage = stages.find((s) =>
      s.spec.selector.matchExpressions.some((e) => e.key === annotationKey && e.operator === 'In' && e.values?.includes(outcome)),
    );
    expect(stage?.spec.resourceRef.kind).toBe('Pod');
    expect(stage?.spec.next.statusTemplate).toContain(outcome === 'Failed' ? 'phase: Failed' : outcome);
  });

  it.each(['pod-ready', 'pod-complete'])('keep %s away from pods that simulate a failure', (name) => {
    expect(byName.get(name)?.spec.selector.matchExpressions).toContainEqual({ key: annotationKey, operator: 'DoesNotExist' });
  });
});

describe('kwok stages and the process kubelet', () => {
  it.each(stages.filter((s) => s.spec.resourceRef.kind === 'Pod').map((s) => s.metadata.name))('%s leaves pods annotated run-as-process alone', (name) => {
    expect(byName.get(name)?.spec.selector.matchExpressions).toContainEqual({
      key: '.metadata.annotations["kaito-ts.dev/run-as-process"]',
      operator: 'DoesNotExist',
    });
  });
});
