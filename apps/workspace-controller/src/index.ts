/**
 * @kaito-ts/workspace-controller (in progress): the pure planners the Workspace controller is
 * built on — node requests, the inference StatefulSet and Services, the inference revision, and
 * the Workspace's status. The API-calling layer and the process (`main.ts`) come later; see README.md.
 */
export { desiredNodeRequest, nodeRequestName, workspaceSelector, type DesiredNodeRequestInput } from './controllers/workspace/node-requests.js';
export { workloadReadiness, type WorkloadReadiness } from './controllers/workspace/readiness.js';
export {
  desiredInferenceWorkload,
  headlessServiceName,
  leaderAddress,
  workspaceRuntime,
  InvalidWorkloadSpecError,
  SERVICE_PORT,
  type InferenceWorkload,
  type InferenceWorkloadInput,
} from './controllers/workspace/inference-workload.js';
export { inferenceStatus, resourceReady, inferenceReady, workspaceReady, type ObservedInference, type ConditionVerdict } from './controllers/workspace/conditions.js';
export { podHealth, type PodHealth } from './controllers/workspace/pod-health.js';
export { inferenceRevision, needsRollout, REVISION_HASH_ANNOTATION } from './controllers/workspace/revision.js';
