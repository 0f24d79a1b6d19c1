// Test helpers shared by every project's tests.
export { eventually, type EventuallyOptions } from './eventually.js';
