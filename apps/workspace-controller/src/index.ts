/**
 * @kaito-ts/workspace-controller (in progress): the inference reconcile of auto-provisioned
 * Workspaces (`workspaceController`) and the pure planners it is built on — node requests, the
 * inference StatefulSet and Services, the inference revision, and the Workspace's status. See README.md.
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
export { workspaceController, CONTROLLER_NAME, type WorkspaceControllerOptions } from './controllers/workspace/controller.js';
export { Workspaces } from './controllers/workspace/resources.js';
export {
  resolveInferencePlan,
  plannedRequestNames,
  requestsToCreate,
  serviceNeedsApply,
  statefulSetNeedsApply,
  blockedStatus,
  deletingStatus,
  conditionTransitions,
  type ResolvedPlan,
  type Transition,
} from './controllers/workspace/plan.js';
