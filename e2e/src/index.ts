/**
 * The e2e harness: programs of this repository as separate OS processes against the local
 * cluster (the workspace controller, the kwok provisioner, gpu-provisioner and the ARM
 * simulator), kubectl, the waits the scenarios share, and the seed's tuning quick start's pieces
 * (registry, dataset server, tiny model, process kubelet) that the demo (tools/demo) reuses. See
 * e2e/README.md.
 */
export { ManagedProcess, type ProcessSpec } from './harness/process.js';
export { startWorkspaceControllerProcess, type WorkspaceControllerProcessOptions } from './harness/workspace-controller.js';
export { injectKwokFault, KWOK_FAULTS_CONFIGMAP, startKwokProvisionerProcess, type KwokFault, type KwokProvisionerProcessOptions } from './harness/kwok-provisioner.js';
export { startArmSimulatorProcess, type ArmEndpoint, type ArmFault, type ArmSimulatorProcessOptions, type RunningArmSimulator } from './harness/arm-simulator.js';
export { startGpuProvisionerProcess, type GpuProvisionerProcessOptions } from './harness/gpu-provisioner.js';
export { kubectl, kubectlApply, workspaceTable, type KubectlResult } from './harness/kubectl.js';
export { conditionOf, createNamespace, deleteNamespace, leftovers, nodeRequestsOf, testKube, Workspaces, type TestKube } from './harness/kube.js';
export { applyInferenceWorkspace, deleteAndExpectNothingLeft, inferenceWorkspaceManifest, removeAllWorkspaces, waitForReady, waitForReason, type InferenceWorkspaceSpec } from './harness/workspace.js';
export { kubeconfigPath, logDir, repoRoot, runId } from './harness/repo.js';
export { chartIdentity, refusedLines, releaseChartIdentities, type ChartIdentity, type ChartIdentityOptions, type ChartName } from './harness/chart-identity.js';
export { claimNodes, cpuInferenceImages, PROCESS_KUBELET_LABEL, RUN_AS_PROCESS_ANNOTATION, startProcessKubeletProcess, type ImageEntry, type ProcessKubelet, type ProcessKubeletProcessOptions } from './harness/process-kubelet.js';
export { startRegistry, type Registry } from './harness/registry.js';
export { dollyRows, scratch, serveDatasets, trainerPython, writeChatJsonl, writeDollyParquet, writeTinyModel, type ChatMessage, type DataServer } from './harness/tuning-inputs.js';
export { loraTemplate, SEED_TUNING_NAME, SEED_TUNING_YAML, tuningManifest, tuningRunnerImage, type TuningRewrites } from './harness/seed-tuning.js';
export { HOST_PORTS_ANNOTATION, serviceEndpoint } from './harness/endpoint.js';
