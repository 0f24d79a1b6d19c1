/**
 * The Workspace as a controller-runtime resource: the storage version (`kaito.sh/v1beta1`), which
 * is what the API server serves by default; v1alpha1 objects read back as v1beta1 (no conversion
 * webhook: v1beta1 is a superset). Decoded with `AnyWorkspace` at the cache boundary.
 */
import { API_VERSION_V1BETA1, AnyWorkspace, WORKSPACE_KIND, WORKSPACE_PLURAL, type Workspace } from '@kaito-ts/api';
import { defineResource, type ResourceType } from '@kaito-ts/controller-runtime';

export const Workspaces: ResourceType<Workspace> = defineResource<Workspace>({
  apiVersion: API_VERSION_V1BETA1,
  kind: WORKSPACE_KIND,
  plural: WORKSPACE_PLURAL,
  namespaced: true,
  codec: AnyWorkspace,
});
