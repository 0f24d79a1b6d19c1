export { API_VERSIONS, ArmState, type ArmOptions, type ArmRequest, type ArmStateSnapshot, type ClusterConfig, type PowerState } from './arm.js';
export { armError, type ArmError, type ArmErrorDetail, type ArmResponse } from './arm-error.js';
export { AgentPoolBody, AgentPoolProperties, POOL_NAME, type OperationRecord, type PoolRecord, type PoolState } from './agent-pool.js';
export { CertificateError, generateCertificates, type Certificates } from './certs.js';
export { aadError, Entra, type EntraConfig } from './entra.js';
export { FAULT_KINDS, FaultBook, FaultSpec, faultResponse, familyOf, type Fault, type FaultKind, type RequestFacts } from './faults.js';
export { KubeNodeSink, MemoryNodeSink, poolNode, type NodeIdentity, type NodeSink, type PoolNode } from './node-sink.js';
export { RequestLog, routeOf, type LoggedRequest } from './request-log.js';
export { startArmSimulator, type ArmSimulatorOptions, type RunningArmSimulator } from './server.js';
