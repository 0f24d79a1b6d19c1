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

// tuning Workspaces (src/controllers/tuning/)
export { tuningController, TUNING_CONTROLLER_NAME, type TuningControllerOptions, type ResolveHost } from './controllers/tuning/controller.js';
export {
  desiredTuningJob,
  desiredProgressObjects,
  progressConfigMapName,
  tuningServiceAccountName,
  TUNING_CONTAINER,
  DATA_PULLER_CONTAINER,
  PROGRESS_KEY,
  TERMINATION_MESSAGE_PATH,
  type TuningJobSettings,
  type TuningJobInput,
} from './controllers/tuning/job.js';
export { defaultParamsConfigMap, tuningConfigMapName, PARAMS_TEMPLATE_NAMES } from './controllers/tuning/params.js';
export { preflight, inputHosts, registryHost, preflightSecretNames, type PreflightInput, type PreflightVerdict, type PreflightSecret } from './controllers/tuning/preflight.js';
export { restrictedAddress, type RestrictedKind } from './controllers/tuning/addresses.js';
export { resolveTuningPlan, type ResolvedTuningPlan } from './controllers/tuning/plan.js';
export { tuningRevision } from './controllers/tuning/revision.js';
export { tuningStatus, blockedTuningStatus, jobOutcome, tuningProgress, readTerminationReport, readProgressReport, type JobOutcome, type ObservedTuning } from './controllers/tuning/status.js';
export { validateTuningConfig, TuningConfigError } from './controllers/tuning/tuning-config.js';
