#!/usr/bin/env node
/**
 * gpu-provisioner CLI: `node apps/gpu-provisioner/dist/main.js --subscription=… --resource-group=… --cluster-name=… --location=…`.
 * Runs until SIGTERM/SIGINT; exits non-zero with one line on a bad setting or a failed start.
 */
import { isSettingsError } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';
import { StartupError, startGpuProvisioner } from './provisioner.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (isSettingsError(err)) {
      process.stderr.write(`gpu-provisioner: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const running = await startGpuProvisioner(parsed.config, { handleSignals: true });
    await running.done;
    return 0;
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`gpu-provisioner: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`gpu-provisioner: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gpu-provisioner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
