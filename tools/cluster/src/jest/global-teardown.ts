// Jest global teardown for the integration tier: stops the local cluster only if global setup
// started it (a cluster that was already running is left running). KAITO_TS_KEEP_CLUSTER=1 keeps it.
import { down } from '../cluster.js';
import { STARTED_ENV } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  if (process.env[STARTED_ENV] !== '1') return;
  if (process.env['KAITO_TS_KEEP_CLUSTER'] === '1') {
    process.stderr.write('[integration] KAITO_TS_KEEP_CLUSTER=1: leaving the cluster running\n');
    return;
  }
  await down({ log: (line) => process.stderr.write(`[integration] ${line}\n`) });
  delete process.env[STARTED_ENV];
}
