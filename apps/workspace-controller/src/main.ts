#!/usr/bin/env node
/**
 * workspace-controller CLI: `npx tsx apps/workspace-controller/src/main.ts --node-api machine`.
 * Runs until SIGTERM/SIGINT (in-flight reconciles drain first); exits 2 with one line on a bad
 * setting, 1 on a failed start.
 */
import { isSettingsError } from '@kaito-ts/core';
import { parseWorkspaceControllerSettings, USAGE } from './settings.js';
import { startWorkspaceController } from './start.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseWorkspaceControllerSettings(process.argv.slice(2));
  } catch (err) {
    if (isSettingsError(err)) {
      process.stderr.write(`workspace-controller: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const running = await startWorkspaceController(parsed.settings, { handleSignals: true });
    await running.done;
    return 0;
  } catch (err) {
    process.stderr.write(`workspace-controller: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`workspace-controller: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
