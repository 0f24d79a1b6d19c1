/**
 * Fakes and factories for code built on @kaito-ts/karpenter, and the provisioner conformance suite:
 * `import { FakeCloudProvider, makeNodeClaim, describeProvisionerConformance } from '@kaito-ts/karpenter/testing'`.
 */
export { FakeCloudProvider, type FakeCloudProviderOptions } from './fake-cloud-provider.js';
export {
  gpuNodeRequest,
  makeNodeClaim,
  makeMachine,
  makeNode,
  makeNodeRequest,
  DEFAULT_TEST_INSTANCE_TYPE,
  type GpuNodeRequestInput,
  type NodeOptions,
} from './factories.js';
export { LifecycleHarness, type LifecycleHarnessOptions, type RequestOverrides } from './harness.js';
export { describeProvisionerConformance, type ConformanceTarget, type StartedProvisioner } from './conformance.js';
