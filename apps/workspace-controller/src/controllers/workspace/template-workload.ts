/**
 * The workload of a custom `inference.template` Workspace (a pure planner), as Kaito runs it
 * (`kaito-project/kaito: pkg/workspace/inference/template_inference.go`): a StatefulSet `<name>`
 * of the user's pod template, one replica per node (`resource.count`), its pods labelled
 * `kaito.sh/workspace`, the node affinity replaced by the Workspace's nodes, the GPU tolerations
 * appended; and the same Services as a preset Workspace. Where we differ: the Service targets the
 * template's first container port (Kaito: always 5000), and a changed template rolls the pods
 * through the revision hash (Kaito never updates a template StatefulSet).
 */
import { Labels, type Workspace } from '@kaito-ts/api';
import type { V1Container, V1PodTemplateSpec, V1StatefulSet, V1Toleration } from '@kubernetes/client-node';
import {
  headlessServiceName,
  identity,
  inferenceServices,
  InvalidWorkloadSpecError,
  nodeRequirements,
  ownerReference,
  placementOf,
  TOLERATIONS,
  type ByoPlacement,
  type InferenceWorkload,
} from './inference-workload.js';
import { inferenceRevision, REVISION_HASH_ANNOTATION } from './revision.js';

/** Kaito's inference port, served when the template declares none. */
const DEFAULT_PORT = 5000;

export interface TemplateWorkloadInput {
  readonly workspace: Workspace;
  readonly nodeCount: number;
  readonly byo?: ByoPlacement;
}

/**
 * What is wrong with a template for running it (undefined: nothing). The CRD keeps the template
 * schemaless, so this is the only check before the API server's own on the StatefulSet.
 */
export function templateProblem(template: unknown): string | undefined {
  const spec = (template as { spec?: { containers?: unknown } } | undefined)?.spec;
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return 'inference.template.spec.containers: expected at least one container, e.g. [{name: server, image: …}]';
  const unnamed = containers.findIndex((c) => typeof (c as { name?: unknown }).name !== 'string' || typeof (c as { image?: unknown }).image !== 'string');
  if (unnamed >= 0) return `inference.template.spec.containers[${unnamed}]: expected a name and an image`;
  return undefined;
}

/** The port the Service sends to: the first container's port named `http`, else its first port, else 5000. */
function servedPort(containers: readonly V1Container[]): number {
  const ports = containers.flatMap((c) => c.ports ?? []);
  return (ports.find((p) => p.name === 'http') ?? ports[0])?.containerPort ?? DEFAULT_PORT;
}

const sameToleration = (a: V1Toleration, b: V1Toleration): boolean => a.key === b.key && a.operator === b.operator && a.value === b.value && a.effect === b.effect;

/** The StatefulSet and Services of a template Workspace. */
export function desiredTemplateWorkload(input: TemplateWorkloadInput): InferenceWorkload {
  const { workspace: ws } = input;
  const { name, namespace, uid } = identity(ws);
  const raw = ws.inference?.template;
  const problem = templateProblem(raw);
  if (problem !== undefined) throw new InvalidWorkloadSpecError(`workspace ${name}: ${problem}`);
  const template = raw as V1PodTemplateSpec;
  const spec = template.spec ?? { containers: [] };
  const owner = ownerReference(ws, uid);
  const labels = { [Labels.workspace]: name };
  const userTolerations = spec.tolerations ?? [];
  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      namespace,
      labels: { ...labels, [Labels.workspaceNamespace]: namespace },
      annotations: { [REVISION_HASH_ANNOTATION]: inferenceRevision(ws, placementOf(input.byo)) },
      ownerReferences: [owner],
    },
    spec: {
      replicas: input.nodeCount,
      podManagementPolicy: 'Parallel',
      serviceName: headlessServiceName(name),
      selector: { matchLabels: labels },
      template: {
        metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } },
        spec: {
          ...spec,
          tolerations: [...userTolerations, ...TOLERATIONS.filter((t) => !userTolerations.some((u) => sameToleration(u, t))).map((t) => ({ ...t }))],
          affinity: {
            ...spec.affinity,
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: nodeRequirements(ws, name, namespace, input.byo) }] } },
          },
        },
      },
    },
  };
  return { statefulSet, ...inferenceServices(ws, owner, servedPort(spec.containers)) };
}
