/**
 * Logging lives in @kaito-ts/logging (one implementation for every process: JSON in a container,
 * secret-looking keys redacted, Basic/Bearer credentials scrubbed from every string); this module
 * keeps the runner's import path stable.
 */
export { createLogger, redact, scrub, REDACTED, type Logger, type LoggerOptions } from '@kaito-ts/logging';
