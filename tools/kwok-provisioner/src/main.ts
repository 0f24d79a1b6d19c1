#!/usr/bin/env node
/**
 * kwok-provisioner CLI: `npx tsx tools/kwok-provisioner/src/main.ts --api nodeclaim --launch-delay 10s`.
 * Runs until SIGTERM/SIGINT; exits non-zero with one line on a bad setting or a failed start.
 */
import { isSettingsError } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';
import { StartupError, startKwokProvisioner } from './provisioner.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (isSettingsError(err)) {
      process.stderr.write(`kwok-provisioner: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const running = await startKwokProvisioner(parsed.config, { handleSignals: true });
    await running.done;
    return 0;
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`kwok-provisioner: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`kwok-provisioner: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kwok-provisioner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
