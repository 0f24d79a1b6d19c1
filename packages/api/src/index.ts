export * from './codecs/primitives.js';
export * from './codecs/meta.js';
export * from './workspace/constants.js';
export * from './workspace/codec.js';
export * from './workspace/status.js';
export * from './workspace/update-rules.js';
export { workspaceCrd } from './crd/workspace-crd.js';
export type { Schema, CelRule } from './crd/schema.js';
