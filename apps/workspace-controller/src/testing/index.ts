/**
 * Factories for tests of code built on the workspace controller's planners:
 * `import { makePod } from '@kaito-ts/workspace-controller/testing'`.
 */
export { makeContainerStatus, makePod, type PodOptions } from './pods.js';
export { makeAdmissionInput, makeGpuNode, type AdmissionInputOverrides } from './admission.js';
