export { DEFAULT_CLUSTER_NAME, defaultClusterName, clusterPaths, repoRoot, toolDir, type ClusterPaths } from './paths.js';
export { versions, parseVersionsEnv, type Versions } from './versions.js';
export {
  BINARY_NAMES,
  BinaryBuildError,
  CLUSTER_BINARIES,
  binaryPath,
  ensureBinaries,
  missingBinaries,
  type BinaryName,
} from './binaries.js';
export {
  ClusterError,
  down,
  readState,
  runningCluster,
  stagesDir,
  status,
  up,
  type ClusterOptions,
  type ClusterState,
  type ClusterStatus,
  type ComponentStatus,
  type UpResult,
} from './cluster.js';
export { COMPONENTS, DISABLED_CONTROLLERS, kwokctlConfiguration, kwokctlConfigurationYaml } from './kwokctl-config.js';
export {
  FAKE_GPU_NODE_LABEL,
  KWOK_NODE_ANNOTATION,
  UnknownSkuError,
  addGpuNode,
  defaultNodeName,
  deleteGpuNodes,
  gpuNodeLabels,
  gpuNodeManifest,
  isNodeReady,
  parseTaint,
  skuOrThrow,
  waitForNodeReady,
  type AddGpuNodeOptions,
  type GpuNodeOptions,
} from './gpu-node.js';
export {
  COMPLETE_AFTER_ANNOTATION,
  SIMULATED_OUTCOMES,
  SIMULATE_ANNOTATION,
  SIMULATE_EXIT_CODE_ANNOTATION,
  SIMULATE_MESSAGE_ANNOTATION,
  simulateAnnotations,
  type SimulateOptions,
  type SimulatedOutcome,
} from './simulate.js';
export {
  FIELD_MANAGER,
  applyObject,
  applyPath,
  applyYamlText,
  installRepoCrds,
  manifestFiles,
  objectPath,
  parseYamlObjects,
  waitForCrdsEstablished,
  type ApplyOptions,
} from './apply.js';
export {
  apiMessage,
  isAlreadyExists,
  isConflict,
  isNotFound,
  isReady,
  kubeClientsFor,
  loadKubeConfig,
  rawGet,
  rawRequest,
  requestJson,
  KubeApiError,
  statusCodeOf,
  type KubeClients,
} from './kube.js';
export { DEFAULT_KUBELET_NAME, kubeletDirs, type KubeletDirs } from './kubelet/dirs.js';
export {
  RUN_AS_PROCESS_ANNOTATION,
  startProcessKubelet,
  type ProcessKubeletOptions,
  type RunningProcessKubelet,
} from './kubelet/kubelet.js';
export { PROCESS_KUBELET_LABEL } from './gpu-node.js';
export { ensureKubeletProcess, kubeletPid, kubeletProcessPaths, stopKubeletProcess } from './kubelet/process.js';
export { containerLogFile } from './kubelet/pod-worker.js';
export { WRITABLE_HOST_PATHS_ANNOTATION } from './kubelet/volumes.js';
export { HOST_PORTS_ANNOTATION } from './kubelet/host-ports.js';
export { defaultImageMapFile, loadImageMap, parseImageMap, containerCommand, ImageMapError, UnmappedImageError } from './kubelet/image-map.js';
