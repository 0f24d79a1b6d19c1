export * from './schema-validator.js';
export * from './fixtures.js';
export * from './factories.js';
