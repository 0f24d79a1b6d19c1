/**
 * @kaito-ts/gpu-provisioner: the shared Karpenter lifecycle (`@kaito-ts/karpenter`) with a
 * CloudProvider that turns each Machine/NodeClaim into one AKS agent pool. See README.md.
 */
export { AzureCloudProvider, type AzureCloudOptions, type PoolNodeLookup } from './azure/provider.js';
export { createArmClient, type ArmClientOptions } from './azure/client.js';
export { createCredential, CredentialKinds, RecoveringCredential, type CredentialKind } from './azure/credentials.js';
export { classifyArmError, armFailureOf, armErrorBodyPolicy, retryAfterMs, ThrottledError, type ArmFailure } from './azure/errors.js';
export { agentPoolFor, instanceOf, vmSizeFor, osSkuFor, osDiskSizeGBFor, nodeLabelsFor, isOwnedPool, InvalidClaimError } from './azure/mapping.js';
export { poolNameFor, parseProviderID, PoolTags, OWNER, OWNER_LABEL, POOL_NAME_PATTERN } from './azure/naming.js';
export { KubeNodeLookup, providerIDsByPool, AKS_POOL_LABEL } from './azure/node-lookup.js';
export { parseConfig, SETTINGS, USAGE, type GpuProvisionerConfig, type ParsedArgs } from './config.js';
export { startGpuProvisioner, matchesSelector, StartupError, type RunningGpuProvisioner, type StartOptions } from './provisioner.js';
