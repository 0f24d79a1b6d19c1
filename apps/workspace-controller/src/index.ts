/**
 * @kaito-ts/workspace-controller (in progress): the pure planners the Workspace controller is
 * built on. The process (`main.ts`, the controllers on a Manager) comes later; see README.md.
 */
export { desiredNodeRequest, nodeRequestName, workspaceSelector, type DesiredNodeRequestInput } from './controllers/workspace/node-requests.js';
export { workloadReadiness, type WorkloadReadiness } from './controllers/workspace/readiness.js';
