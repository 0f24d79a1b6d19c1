/**
 * One AdmissionReview (admission.k8s.io/v1) in, one out: decode the request with io-ts, read
 * what the rules need (the ConfigMaps the Workspace names; the Node cache), run the rules
 * (rules.ts), and answer. A refusal is a `422 Invalid` Status whose `details.causes` name each
 * field, as the API server's own schema errors do, so `kubectl apply` prints it the same way:
 *
 *     The Workspace "phi-3" is invalid: resource.instanceType: ModelDoesNotFit: …
 *
 * Operations other than CREATE and UPDATE, and kinds other than kaito.sh Workspaces, are
 * admitted: the webhook configuration should not send them, and refusing what we do not judge
 * would block the cluster for no reason.
 */
import * as t from 'io-ts';
import { AnyWorkspace, GROUP, WORKSPACE_KIND, type Workspace } from '@kaito-ts/api';
import { codedError, decode, type Issue } from '@kaito-ts/core';
import type { Node } from '@kaito-ts/karpenter';
import { denialMessage, validateWorkspace } from './rules.js';
import { type Catalog, type ConfigMapData, type Operation, presetCatalog } from './types.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** The request body is not an AdmissionReview v1 (answered 400). */
export class InvalidReviewError extends codedError('InvalidAdmissionReview') {}

export const AdmissionRequest = t.intersection(
  [
    t.type({ uid: t.string, kind: t.type({ group: t.string, version: t.string, kind: t.string }), operation: t.string }),
    t.partial({ name: t.string, namespace: t.string, object: t.unknown, oldObject: t.unknown, dryRun: t.boolean }),
  ],
  'AdmissionRequest',
);
export type AdmissionRequest = t.TypeOf<typeof AdmissionRequest>;

export const AdmissionReview = t.type({ apiVersion: t.literal(ADMISSION_API_VERSION), kind: t.literal('AdmissionReview'), request: AdmissionRequest }, 'AdmissionReview');
export type AdmissionReview = t.TypeOf<typeof AdmissionReview>;

export interface AdmissionStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details?: { name?: string; group: string; kind: string; causes: { field: string; message: string; reason: string }[] };
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly warnings?: string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** What reviewing needs from the cluster. */
export interface ReviewDependencies {
  /** The nodes, from the controller's Node cache once it has synced. */
  readonly nodes: () => Promise<readonly Node[]>;
  /** A ConfigMap's data, or null when it does not exist. */
  readonly configMap: (namespace: string, name: string) => Promise<ConfigMapData | null>;
  readonly catalog?: Catalog;
}

export interface Review {
  readonly response: AdmissionReviewResponse;
  /** For the log: what was judged and the verdict. */
  readonly workspace?: string;
  readonly operation?: string;
  readonly errors: readonly Issue[];
}

const answer = (uid: string, allowed: boolean, extra: Omit<AdmissionResponse, 'uid' | 'allowed'> = {}): AdmissionReviewResponse => ({
  apiVersion: ADMISSION_API_VERSION,
  kind: 'AdmissionReview',
  response: { uid, allowed, ...extra },
});

function refusal(uid: string, name: string | undefined, what: string, errors: readonly Issue[], warnings: readonly string[]): AdmissionReviewResponse {
  return answer(uid, false, {
    status: {
      code: 422,
      reason: 'Invalid',
      message: denialMessage(what, errors),
      details: {
        ...(name !== undefined ? { name } : {}),
        group: GROUP,
        kind: WORKSPACE_KIND,
        causes: errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })),
      },
    },
    ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
  });
}

/** The ConfigMaps a Workspace names, read before the rules run. */
async function configMapsOf(ws: Workspace, deps: ReviewDependencies): Promise<Map<string, ConfigMapData | null>> {
  const names = [ws.inference?.config, ws.tuning?.config].filter((n): n is string => n !== undefined && n !== '');
  const namespace = ws.metadata.namespace ?? 'default';
  const entries = await Promise.all(names.map(async (n) => [n, await deps.configMap(namespace, n)] as const));
  return new Map(entries);
}

/** Judges one AdmissionReview body (already JSON-parsed). A body that is not a review throws `InvalidReviewError`. */
export async function reviewWorkspace(body: unknown, deps: ReviewDependencies): Promise<Review> {
  const decoded = decode(AdmissionReview, body);
  if (!decoded.ok) throw new InvalidReviewError(decoded.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const request = decoded.value.request;
  const { uid, operation } = request;
  if ((operation !== 'CREATE' && operation !== 'UPDATE') || request.kind.group !== GROUP || request.kind.kind !== WORKSPACE_KIND) {
    return { response: answer(uid, true), operation, errors: [] };
  }
  const what = `Workspace ${request.namespace ?? ''}/${request.name ?? ''}`;
  const workspace = decode(AnyWorkspace, request.object);
  if (!workspace.ok) return { response: refusal(uid, request.name, what, workspace.issues, []), workspace: what, operation, errors: workspace.issues };
  const old = operation === 'UPDATE' ? decode(AnyWorkspace, request.oldObject) : undefined;
  // A stored object the codec cannot read (written under an older API) is not judged against:
  // the CRD's own rules still ran, and refusing would leave it stuck, finalizer and all.
  if (old !== undefined && !old.ok) return { response: answer(uid, true), workspace: what, operation, errors: [] };
  const input = {
    operation: operation as Operation,
    workspace: workspace.value,
    ...(old?.ok === true ? { old: old.value } : {}),
    catalog: deps.catalog ?? presetCatalog,
    cluster: { nodes: operation === 'CREATE' ? await deps.nodes() : [], configMaps: operation === 'CREATE' ? await configMapsOf(workspace.value, deps) : new Map<string, ConfigMapData | null>() },
  };
  const { errors, warnings } = validateWorkspace(input);
  const response = errors.length > 0 ? refusal(uid, request.name, what, errors, warnings) : answer(uid, true, warnings.length > 0 ? { warnings: [...warnings] } : {});
  return { response, workspace: what, operation, errors };
}

