/**
 * @kaito-ts/kwok-provisioner: the swap-in alternate provisioner. The shared Karpenter lifecycle
 * (`@kaito-ts/karpenter`) with a CloudProvider that launches kwok fake GPU nodes. See README.md.
 */
export { KwokCloudProvider, FAULTS, FAULTS_CONFIGMAP, type Fault, type KwokCloudOptions } from './kwok-cloud.js';
export { InstanceRecord, INSTANCE_LABEL, CLOUD_LABEL, instanceNameFor, providerIDFor, fromConfigMap, toConfigMap } from './instance-record.js';
export { parseConfig, defaultConfig, SETTINGS, USAGE, type KwokProvisionerConfig, type ParsedArgs } from './config.js';
export { startKwokProvisioner, matchesSelector, StartupError, type RunningKwokProvisioner, type StartOptions } from './provisioner.js';
