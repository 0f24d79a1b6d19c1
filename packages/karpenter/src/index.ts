/**
 * @kaito-ts/karpenter: Karpenter-core node requests (Machine v1alpha5, NodeClaim v1) behind one
 * NodeRequest view, the CloudProvider interface, and the provider-side lifecycle every provisioner
 * reuses. See README.md and docs/provisioners.md.
 */

// names
export * from './constants.js';

// codecs
export {
  Taint,
  TaintEffect,
  Requirement,
  RequirementOperator,
  ResourceList,
  QuantityValue,
  ConditionStatus,
  KnativeCondition,
  MetaCondition,
} from './codecs/common.js';
export { Machine, MachineSpec, MachineStatus, MachineTemplateRef } from './codecs/machine.js';
export { NodeClaim, NodeClaimSpec, NodeClaimStatus, NodeClassReference } from './codecs/nodeclaim.js';
export { Node, NodeCondition } from './codecs/node.js';

// the version-neutral view
export {
  type NodeRequest,
  type NodeRequestSpec,
  type NodeRequestStatus,
  fromMachine,
  fromNodeClaim,
  toMachine,
  toNodeClaim,
  toApiObject,
  apiStatusOf,
  machineStatusOf,
  nodeClaimStatusOf,
  apiConditionType,
  decodeNodeRequest,
  withStatus,
} from './node-request.js';
export {
  type NodeRequestCondition,
  type ConditionInput,
  READY_DEPENDENTS,
  MAX_MESSAGE_LENGTH,
  truncateMessage,
  findCondition,
  conditionStatus,
  setCondition,
  setLifecycleCondition,
  sortConditions,
  deriveReady,
} from './conditions.js';
export {
  isLaunched,
  isRegistered,
  isInitialized,
  isReady,
  isDeleting,
  launchFailure,
  failedWithReason,
  requirementValues,
  requestedInstanceType,
  requirementLabels,
  nodeCondition,
  isNodeReady,
  sameTaint,
  sameTaintKey,
  hasTaint,
  gpuAllocatable,
  type LaunchFailure,
} from './predicates.js';

// clients
export {
  MachineResource,
  NodeClaimResource,
  NodeResource,
  nodeRequestResource,
  nodeRequestOf,
  nodeRequestClient,
  objectRefOf,
  type NodeRequestClient,
  type NodeRequestObject,
  type MetadataChanges,
} from './client.js';

// providers
export {
  type CloudProvider,
  type Instance,
  type InstanceRef,
  type InstanceState,
  type NodeClaimKey,
  belongsTo,
  instanceRefOf,
} from './cloudprovider/types.js';
export {
  NotFoundError,
  InsufficientCapacityError,
  QuotaExceededError,
  SkuUnavailableError,
  InvalidRequestError,
  TransientError,
  isNotFoundError,
  isInsufficientCapacityError,
  isQuotaExceededError,
  isSkuUnavailableError,
  isInvalidRequestError,
  isTransientError,
  ignoreNotFoundError,
  classifyLaunchError,
  describeCause,
  type CloudProviderErrorCode,
  type LaunchErrorClass,
  type LaunchFailureKind,
} from './cloudprovider/errors.js';

// lifecycle
export { DEFAULT_LIFECYCLE_OPTIONS, lifecycleOptions, type LifecycleOptions, type RetrySchedule } from './lifecycle/options.js';
export {
  LAUNCH_RETRY_ANNOTATION,
  launchRetryOf,
  nextLaunchRetry,
  formatLaunchRetry,
  terminalLaunchRetry,
  isStandingTerminal,
  retryDelayMs,
  type LaunchRetry,
} from './lifecycle/retry.js';
export {
  liveReader,
  deleteRequest,
  type LifecycleReader,
  type ReconcileScope,
  type AspectDeps,
  type AspectResult,
  type LifecycleAspect,
  type Observed,
} from './lifecycle/context.js';
export {
  planLaunch,
  launchIntentRecorded,
  launchingStatus,
  launchedStatus,
  launchFailedStatus,
  hasCapacityFailure,
  hasTerminalFailure,
  launchLabels,
  launchedMetadata,
  Launch,
  type LaunchStep,
  type LaunchContext,
  type LaunchFailureOutcome,
} from './lifecycle/launch.js';
export { planRegistration, registeredNode, registeredStatus, mergeTaints, ownerReferenceTo, Registration, type RegistrationOutcome } from './lifecycle/registration.js';
export { planInitialization, missingResources, Initialization, type InitializationOutcome } from './lifecycle/initialization.js';
export { planLiveness, Liveness, type LivenessVerdict } from './lifecycle/liveness.js';
export { deletedNode, Termination } from './lifecycle/termination.js';
export { patchNode } from './lifecycle/node-patch.js';
export { LifecycleEvents } from './lifecycle/events.js';
export { NodeRequestLifecycle, type LifecycleDeps } from './lifecycle/reconciler.js';
export { planGarbageCollection, DEFAULT_GC_OPTIONS, type GcOptions, type GcObserved, type GcPlan } from './gc/plan.js';
export { GarbageCollector, type GarbageCollectorDeps, type GcReader, type GcReport } from './gc/collector.js';
export { addProvisioner, CLAIM_KEY_INDEX, PROVIDER_ID_INDEX, type ProvisionerOptions, type Provisioner } from './provisioner.js';
