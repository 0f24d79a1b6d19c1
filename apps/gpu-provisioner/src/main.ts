#!/usr/bin/env node
/**
 * gpu-provisioner CLI: `node apps/gpu-provisioner/dist/main.js --subscription=… --resource-group=… --cluster-name=… --location=…`.
 * Runs until SIGTERM/SIGINT; exits non-zero with one line on a bad setting or a failed start.
 */
import { runMain } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';
import { startGpuProvisioner } from './provisioner.js';

runMain({
  name: 'gpu-provisioner',
  usage: USAGE,
  parse: (argv) => {
    const parsed = parseConfig(argv);
    return parsed.help ? 'help' : parsed.config;
  },
  start: (config) => startGpuProvisioner(config, { handleSignals: true }),
});
