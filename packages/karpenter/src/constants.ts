/**
 * Karpenter-core's well-known names, for both node-request APIs: Machine (karpenter.sh/v1alpha5,
 * karpenter-core v0.22–v0.32) and NodeClaim (karpenter.sh/v1, Karpenter v1.x). Values are the
 * upstream strings (`pkg/apis/v1alpha5/labels.go`, `pkg/apis/v1/{labels,taints,nodeclaim_status}.go`).
 */

export const GROUP = 'karpenter.sh';

/** Which node-request API a controller speaks. NodeClaim is the default everywhere. */
export const NodeRequestApis = ['nodeclaim', 'machine'] as const;
export type NodeRequestApi = (typeof NodeRequestApis)[number];
export const DEFAULT_NODE_REQUEST_API: NodeRequestApi = 'nodeclaim';

export const MACHINE_API_VERSION = 'karpenter.sh/v1alpha5';
export const MACHINE_KIND = 'Machine';
export const MACHINE_PLURAL = 'machines';
export const NODECLAIM_API_VERSION = 'karpenter.sh/v1';
export const NODECLAIM_KIND = 'NodeClaim';
export const NODECLAIM_PLURAL = 'nodeclaims';

/** Labels Karpenter reads and writes (on node requests and Nodes). */
export const KarpenterLabels = {
  /** v1: the NodePool a NodeClaim belongs to (Kaito uses the fake pool `kaito`). */
  nodePool: 'karpenter.sh/nodepool',
  /** v1alpha5: the Provisioner a Machine belongs to (Kaito used `default`). */
  provisionerName: 'karpenter.sh/provisioner-name',
  /** Set on the Node when it registered against its request. */
  registered: 'karpenter.sh/registered',
  /** Set on the Node when it initialized (Ready, startup taints gone, resources allocatable). */
  initialized: 'karpenter.sh/initialized',
  capacityType: 'karpenter.sh/capacity-type',
  /** On a Node: the lifecycle leaves its taints alone. */
  doNotSyncTaints: 'karpenter.sh/do-not-sync-taints',
} as const;

/** Kubernetes well-known node labels the lifecycle and Kaito use. */
export const WellKnownLabels = {
  instanceType: 'node.kubernetes.io/instance-type',
  instanceTypeBeta: 'beta.kubernetes.io/instance-type',
  os: 'kubernetes.io/os',
  arch: 'kubernetes.io/arch',
  zone: 'topology.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
  hostname: 'kubernetes.io/hostname',
} as const;

/** Kaito's labels on node requests (Machine era and NodeClaim era). */
export const KaitoLabels = {
  workspace: 'kaito.sh/workspace',
  workspaceNamespace: 'kaito.sh/workspacenamespace',
  ragEngine: 'kaito.sh/ragengine',
  ragEngineNamespace: 'kaito.sh/ragenginenamespace',
  /** Machine era: requirement `kaito.sh/machine-type In gpu`. */
  machineType: 'kaito.sh/machine-type',
  /** Kaito labels GPU nodes `accelerator=nvidia`. */
  accelerator: 'accelerator',
} as const;

/** Annotations. */
export const KarpenterAnnotations = {
  /** v1: the node request (and its Node) must not be disrupted. Kaito sets `true`. */
  doNotDisrupt: 'karpenter.sh/do-not-disrupt',
  /** v1alpha5 names of the same intent. */
  doNotEvict: 'karpenter.sh/do-not-evict',
  doNotConsolidate: 'karpenter.sh/do-not-consolidate',
  /** v1alpha5: providerID of an existing instance a Machine adopts instead of launching. */
  linked: 'karpenter.sh/linked',
  managedBy: 'karpenter.sh/managed-by',
  nodePoolHash: 'karpenter.sh/nodepool-hash',
  terminationTimestamp: 'karpenter.sh/nodeclaim-termination-timestamp',
  /** Kaito: OS image family of the node (`ubuntu`, `azurelinux`). */
  nodeImageFamily: 'kaito.sh/node-image-family',
} as const;

/** Finalizer the lifecycle puts on node requests and their Nodes (same string in both APIs). */
export const TERMINATION_FINALIZER = 'karpenter.sh/termination';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** A taint key and effect (values vary). */
export interface TaintKey {
  readonly key: string;
  readonly effect: TaintEffect;
}

/** Taints Karpenter manages. */
export const KarpenterTaints = {
  /** The Node registers with it; the lifecycle removes it at registration (v1). */
  unregistered: { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
  /** Added while a node is being terminated. */
  disrupted: { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' },
} as const satisfies Record<string, TaintKey>;

/** Taints the kubelet or cloud controller put on a Node that is not ready yet; none may remain at initialization. */
export const EPHEMERAL_TAINT_KEYS: readonly string[] = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.cloudprovider.kubernetes.io/uninitialized',
];

/** Kaito's GPU node taint: `sku=gpu:NoSchedule`. */
export const KAITO_GPU_TAINT = { key: 'sku', value: 'gpu', effect: 'NoSchedule' } as const;

/** Resource names. */
export const ResourceNames = {
  gpu: 'nvidia.com/gpu',
  cpu: 'cpu',
  memory: 'memory',
  ephemeralStorage: 'ephemeral-storage',
  pods: 'pods',
  /** What Kaito requests for the OS disk. Not a Node resource, so initialization ignores it (as gpu-provisioner does). */
  storage: 'storage',
} as const;

/** Version-neutral condition types (the NodeClaim v1 names). */
export const ConditionTypes = {
  launched: 'Launched',
  registered: 'Registered',
  initialized: 'Initialized',
  ready: 'Ready',
} as const;
export type LifecycleConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

/** Machine (v1alpha5) names of the lifecycle conditions; `Ready` is the same in both. */
export const MachineConditionTypes = {
  launched: 'MachineLaunched',
  registered: 'MachineRegistered',
  initialized: 'MachineInitialized',
  ready: 'Ready',
  /** v0.27 and earlier called Launched this. Read, never written. */
  created: 'MachineCreated',
  drifted: 'MachineDrifted',
  empty: 'MachineEmpty',
  expired: 'MachineExpired',
} as const;

/** NodeClaim v1 conditions outside the lifecycle, read and passed through untouched. */
export const NodeClaimConditionTypes = {
  ...ConditionTypes,
  consolidatable: 'Consolidatable',
  drifted: 'Drifted',
  drained: 'Drained',
  volumesDetached: 'VolumesDetached',
  instanceTerminating: 'InstanceTerminating',
  consistentStateFound: 'ConsistentStateFound',
  disruptionReason: 'DisruptionReason',
} as const;

/**
 * Condition reasons this lifecycle writes. CamelCase, specific; the capacity reasons are the
 * ones the workspace controller copies into its ResourceReady condition.
 */
export const Reasons = {
  // Launched
  launching: 'Launching',
  launched: 'Launched',
  launchFailed: 'LaunchFailed',
  quotaExceeded: 'QuotaExceeded',
  insufficientCapacity: 'InsufficientCapacity',
  skuUnavailable: 'SkuUnavailable',
  /** Terminal: the request can never launch as written (InvalidRequestError). */
  invalidRequest: 'InvalidRequest',
  launchTimeout: 'LaunchTimeout',
  // Registered
  awaitingNode: 'NodeNotFound',
  multipleNodesFound: 'MultipleNodesFound',
  registered: 'Registered',
  registrationTimeout: 'RegistrationTimeout',
  // Initialized
  awaitingLaunch: 'AwaitingLaunch',
  awaitingRegistration: 'AwaitingRegistration',
  nodeNotReady: 'NodeNotReady',
  startupTaintsRemain: 'StartupTaintsRemain',
  resourcesNotAllocatable: 'ResourcesNotAllocatable',
  initialized: 'Initialized',
  // Ready
  ready: 'Ready',
  notReady: 'NotReady',
  // Termination
  terminating: 'Terminating',
  instanceNotFound: 'InstanceNotFound',
} as const;

/** Launch failure reasons that mean "the cloud said no": kept on the request, retried slowly. */
export const CAPACITY_REASONS: readonly string[] = [Reasons.quotaExceeded, Reasons.insufficientCapacity, Reasons.skuUnavailable];

/** Launch failure reasons that mean "this request can never launch as written": kept, not retried until it changes. */
export const TERMINAL_REASONS: readonly string[] = [Reasons.invalidRequest];

/** Kaito's fake NodePool / Provisioner names. */
export const KAITO_NODEPOOL = 'kaito';
export const KAITO_PROVISIONER_NAME = 'default';

/** Kaito's node class (gpu-provisioner's marker kind) for NodeClaims. */
export const KAITO_NODE_CLASS_REF = { group: 'kaito.sh', kind: 'KaitoNodeClass', name: 'default' } as const;

/** Kaito's default OS disk request when the model names none. */
export const DEFAULT_STORAGE_REQUEST = '1024Gi';
