import { API_VERSION_V1BETA1 } from '../workspace/constants.js';
import type { Workspace } from '../workspace/codec.js';

/** Overrides for a factory: any field at any depth; lists are replaced whole. */
export type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[] ? T[K] : NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K];
};

function merge<T>(base: T, overrides: DeepPartial<T> | undefined): T {
  if (!overrides) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides)) {
    const current = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && current && typeof current === 'object' && !Array.isArray(current)
        ? merge(current, v as DeepPartial<typeof current>)
        : v;
  }
  return out as T;
}

/** An inference Workspace for phi-3-mini on the seed's Standard_NC6s_v3; override any field. */
export function makeInferenceWorkspace(overrides?: DeepPartial<Workspace>): Workspace {
  return merge<Workspace>(
    {
      apiVersion: API_VERSION_V1BETA1,
      kind: 'Workspace',
      metadata: { name: 'workspace-phi-3', namespace: 'default', generation: 1, uid: 'uid-workspace-phi-3' },
      resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'phi-3' } } },
      inference: { preset: { name: 'phi-3-mini-128k-instruct' } },
    },
    overrides,
  );
}

/** The seed's tuning Workspace (qlora, one parquet URL, image output); override any field. */
export function makeTuningWorkspace(overrides?: DeepPartial<Workspace>): Workspace {
  return merge<Workspace>(
    {
      apiVersion: API_VERSION_V1BETA1,
      kind: 'Workspace',
      metadata: { name: 'workspace-tuning-phi-3', namespace: 'default', generation: 1, uid: 'uid-workspace-tuning-phi-3' },
      resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { app: 'tuning-phi-3' } } },
      tuning: {
        preset: { name: 'phi-3-mini-128k-instruct' },
        method: 'qlora',
        input: { urls: ['https://huggingface.co/datasets/philschmid/dolly-15k-oai-style/resolve/main/data/train-00000-of-00001-54e3756291ca09c6.parquet?download=true'] },
        output: { image: 'registry.example.com/adapters/phi-3:0.0.1', imagePushSecret: 'registry-push' },
      },
    },
    overrides,
  );
}
