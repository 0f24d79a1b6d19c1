#!/usr/bin/env node
/**
 * The tuning image's entrypoint. Decodes settings (a bad one: one line, exit 2), wires the root
 * logger, forwards SIGTERM, runs, and exits with the reason's code.
 */
import { fileURLToPath } from 'node:url';
import { InvalidSettingsError, messageOf } from './errors.js';
import { createLogger } from './logger.js';
import { ExitCodes } from './reasons.js';
import { runTuning } from './run.js';
import { readSettings, usage } from './settings.js';

async function main(): Promise<number> {
  let read;
  try {
    read = readSettings(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof InvalidSettingsError) {
      process.stderr.write(`tuning-runner: ${err.message}\n`);
      return ExitCodes.InvalidSettings;
    }
    throw err;
  }
  if (read.help) {
    console.log(usage());
    return 0;
  }
  const { settings } = read;
  const log = createLogger({ level: settings.logLevel, defaultMeta: { component: 'tuning-runner' } });
  const controller = new AbortController();
  const onTerm = (): void => {
    log.info('SIGTERM received');
    controller.abort();
  };
  process.once('SIGTERM', onTerm);
  // The trainer lives next to the app: <app>/trainer (from dist/ or src/ alike).
  const trainerDir = settings.trainerDir ?? fileURLToPath(new URL('../trainer', import.meta.url));
  const result = await runTuning({ settings, log, trainerDir, signal: controller.signal });
  await new Promise<void>((resolve) => log.end(() => resolve()));
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tuning-runner: internal error: ${messageOf(err)}\n`);
    process.exit(ExitCodes.InternalError);
  },
);
