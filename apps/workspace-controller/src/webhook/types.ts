/**
 * What the admission rules see and return. A rule is a pure function of the Workspace under
 * review, the stored one (UPDATE), the preset catalog and the cluster as the controller's caches
 * show it; the server (server.ts) does every read before the rules run, so the rules do no I/O
 * and are tested table-driven (see docs/development.md, "observe → plan → act").
 */
import type { Issue } from '@kaito-ts/core';
import type { Workspace } from '@kaito-ts/api';
import type { Node } from '@kaito-ts/karpenter';
import { findModel, findSku, getModel, getSku, plan } from '@kaito-ts/presets';

export type Operation = 'CREATE' | 'UPDATE';

/** A field error (`path` as a user writes it, `message` what was expected, with an example), or a warning. */
export interface Finding extends Issue {
  /** Shown by kubectl as `Warning: …`; does not refuse the request. */
  readonly warning?: true;
}

/** The preset and SKU catalogs the rules consult; `presetCatalog` is the real one. */
export interface Catalog {
  readonly findModel: typeof findModel;
  readonly getModel: typeof getModel;
  readonly findSku: typeof findSku;
  readonly getSku: typeof getSku;
  readonly plan: typeof plan;
  /**
   * Preset names the reference system once served and retired, with what to use instead. They
   * are not in our catalog, so without this a user would read "unknown model" for a name that
   * worked before.
   */
  readonly retiredPresets: ReadonlyMap<string, string>;
}

/** Kaito's retired presets (its `supported_models.yaml` history) and their successors. */
export const RETIRED_PRESETS: ReadonlyMap<string, string> = new Map([
  ['phi-2', 'phi-3-mini-4k-instruct'],
  ['llama-2-7b', 'llama-3.1-8b-instruct'],
  ['llama-2-7b-chat', 'llama-3.1-8b-instruct'],
  ['llama-2-13b', 'llama-3.1-8b-instruct'],
  ['llama-2-13b-chat', 'llama-3.1-8b-instruct'],
  ['llama-2-70b', 'llama-3.3-70b-instruct'],
  ['llama-2-70b-chat', 'llama-3.3-70b-instruct'],
]);

export const presetCatalog: Catalog = { findModel, getModel, findSku, getSku, plan, retiredPresets: RETIRED_PRESETS };

/** The data a ConfigMap holds (`data`), as read when the Workspace names it. */
export type ConfigMapData = Readonly<Record<string, string>>;

/** The cluster as the rules may see it. */
export interface ClusterView {
  /** Every Node in the controller's cache (bring-your-own nodes are chosen among them). */
  readonly nodes: readonly Node[];
  /**
   * The ConfigMaps the Workspace names (`inference.config`, `tuning.config`) in its namespace, read
   * by the server before the rules run: a name maps to its data, or to `null` when it does not
   * exist. A name that is absent was not looked up; rules then skip their ConfigMap checks.
   */
  readonly configMaps: ReadonlyMap<string, ConfigMapData | null>;
}

export interface AdmissionInput {
  readonly operation: Operation;
  readonly workspace: Workspace;
  /** The stored Workspace (UPDATE only). */
  readonly old?: Workspace;
  readonly catalog: Catalog;
  readonly cluster: ClusterView;
}

/** One admission rule: every problem it finds, none when the Workspace passes. */
export type WorkspaceRule = (input: AdmissionInput) => readonly Finding[];

export const error = (path: string, message: string): Finding => ({ path, message });
export const warning = (path: string, message: string): Finding => ({ path, message, warning: true });

/** `metadata.annotations["kaito.sh/runtime"]`: the path kubectl users recognise. */
export const annotationPath = (key: string): string => `metadata.annotations["${key}"]`;
