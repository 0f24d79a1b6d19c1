/**
 * @kaito-ts/workspace-controller (in progress): the inference reconcile of Workspaces on requested
 * or bring-your-own nodes (`workspaceController`) and the pure planners it is built on — node
 * requests, bring-your-own node selection, the inference StatefulSet (preset or template) and
 * Services, adapters, the inference revision, and the Workspace's status; and the validating
 * admission webhook (`validateWorkspace` and its rules, the server, its certificates). See README.md.
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
  type ByoPlacement,
  type InferenceWorkload,
  type InferenceWorkloadInput,
} from './controllers/workspace/inference-workload.js';
export {
  inferenceStatus,
  resourceReady,
  inferenceReady,
  workspaceReady,
  rolloutInProgress,
  type ObservedInference,
  type ConditionVerdict,
  type ResourceVerdict,
} from './controllers/workspace/conditions.js';
export { adapterProblems, adapterPodParts, adapterRefs, ADAPTER_PULLER_IMAGE, type Adapter, type AdapterProblem, type AdapterPodParts } from './controllers/workspace/adapters.js';
export {
  selectByoNodes,
  byoResourceReady,
  nodeGpus,
  matchesSelector,
  sanitizedSelector,
  isEmptySelector,
  selectorText,
  GpuLabels,
  type ByoSelection,
  type ByoResourceVerdict,
  type HardwareLabel,
  type NodeGpus,
  type SkippedNode,
} from './controllers/workspace/byo-nodes.js';
export { desiredTemplateWorkload, templateProblem, type TemplateWorkloadInput } from './controllers/workspace/template-workload.js';
export { registerWorkspaceMetrics, workspacesByState, type WorkspaceMetrics } from './controllers/workspace/metrics.js';
export { podHealth, type PodHealth } from './controllers/workspace/pod-health.js';
export { inferenceRevision, needsRollout, REVISION_HASH_ANNOTATION } from './controllers/workspace/revision.js';
export { workspaceController, CONTROLLER_NAME, type WorkspaceControllerOptions } from './controllers/workspace/controller.js';
export { Workspaces } from './controllers/workspace/resources.js';
export {
  resolveInferencePlan,
  checkInferenceSpec,
  nodeSource,
  ProvisioningModes,
  type ProvisioningMode,
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
export { validateWorkspace, rulesFor, denialMessage, WORKSPACE_RULES, TUNING_RULES, type Verdict } from './webhook/rules.js';
export { presetCatalog, RETIRED_PRESETS, type AdmissionInput, type AdmissionPolicy, type Catalog, type ClusterView, type ConfigMapData, type Finding, type Operation, type WorkspaceRule } from './webhook/types.js';
export { reviewWorkspace, AdmissionReview, InvalidReviewError, type ReviewDependencies } from './webhook/admission.js';
export { startWebhook, type WebhookOptions, type RunningWebhook } from './webhook/webhook.js';
export { ensureCertificates, judgeCertificates, serviceDnsNames, type WebhookCertificates } from './webhook/certs.js';
export { WEBHOOK_NAME } from './webhook/configuration.js';

// settings (flags and WORKSPACE_CONTROLLER_* variables; docs/configuration.md is generated from SETTINGS)
export { SETTINGS, USAGE, parseWorkspaceControllerSettings, defaultSettings, type WorkspaceControllerSettings } from './settings.js';

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
