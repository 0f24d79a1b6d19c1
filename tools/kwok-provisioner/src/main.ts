#!/usr/bin/env node
/**
 * kwok-provisioner CLI: `npx tsx tools/kwok-provisioner/src/main.ts --api nodeclaim --launch-delay 10s`.
 * Runs until SIGTERM/SIGINT; exits non-zero with one line on a bad setting or a failed start.
 */
import { runMain } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';
import { startKwokProvisioner } from './provisioner.js';

runMain({
  name: 'kwok-provisioner',
  usage: USAGE,
  parse: (argv) => {
    const parsed = parseConfig(argv);
    return parsed.help ? 'help' : parsed.config;
  },
  start: (config) => startKwokProvisioner(config, { handleSignals: true }),
});
