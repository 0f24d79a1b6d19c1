#!/usr/bin/env node
/**
 * workspace-controller CLI: `npx tsx apps/workspace-controller/src/main.ts --node-api machine`.
 * Runs until SIGTERM/SIGINT (in-flight reconciles drain first); exits 2 with one line on a bad
 * setting, 1 on a failed start.
 */
import { runMain } from '@kaito-ts/core';
import { parseWorkspaceControllerSettings, USAGE } from './settings.js';
import { startWorkspaceController } from './start.js';

runMain({
  name: 'workspace-controller',
  usage: USAGE,
  parse: (argv) => {
    const parsed = parseWorkspaceControllerSettings(argv);
    return parsed.help ? 'help' : parsed.settings;
  },
  start: (settings) => startWorkspaceController(settings, { handleSignals: true }),
});
