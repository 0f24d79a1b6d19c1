/** Factories for the admission rules' input: a Workspace under review, a GPU node as GFD labels it. */
import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import type { Node } from '@kaito-ts/karpenter';
import { type AdmissionInput, type ConfigMapData, presetCatalog } from '../webhook/types.js';

export interface AdmissionInputOverrides {
  readonly operation?: AdmissionInput['operation'];
  readonly workspace?: Workspace;
  readonly old?: Workspace;
  readonly nodes?: readonly Node[];
  readonly configMaps?: Readonly<Record<string, ConfigMapData | null>>;
}

/** A CREATE of the seed's phi-3 Workspace by default, against the real catalog and an empty cluster. */
export function makeAdmissionInput(o: AdmissionInputOverrides = {}): AdmissionInput {
  return {
    operation: o.operation ?? (o.old !== undefined ? 'UPDATE' : 'CREATE'),
    workspace: o.workspace ?? makeInferenceWorkspace(),
    ...(o.old !== undefined ? { old: o.old } : {}),
    catalog: presetCatalog,
    cluster: { nodes: o.nodes ?? [], configMaps: new Map(Object.entries(o.configMaps ?? {})) },
  };
}

/** A node with GPU feature discovery's labels (a V100 16 GiB by default) and any extra labels. */
export function makeGpuNode(name: string, labels: Readonly<Record<string, string>> = {}, gpu: { product?: string; count?: string; memory?: string } | false = {}): Node {
  const gfd =
    gpu === false
      ? {}
      : {
          'nvidia.com/gpu.product': gpu.product ?? 'Tesla-V100-PCIE-16GB',
          'nvidia.com/gpu.count': gpu.count ?? '1',
          'nvidia.com/gpu.memory': gpu.memory ?? '16384',
        };
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { ...gfd, ...labels } } };
}
