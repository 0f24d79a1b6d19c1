export * from './fixtures.js';
export * from './processes.js';
