/**
 * Logging lives in @kaito-ts/logging (one implementation for every process, with secret
 * redaction); this module keeps the controller-runtime import path stable.
 */
export { createLogger, redact, scrub, REDACTED, type Logger, type LoggerOptions } from '@kaito-ts/logging';
