// Jest global teardown for the integration tier: stops the local cluster only if global setup
// started it (a cluster that was already running is left running). KAITO_TS_KEEP_CLUSTER=1 keeps it.
/** Must equal STARTED_ENV in ./setup.ts (not imported: see below). */
const STARTED_ENV = 'KAITO_TS_CLUSTER_STARTED_BY_JEST';

export default async function globalTeardown(): Promise<void> {
  if (process.env[STARTED_ENV] !== '1') return;
  // Global setup ran in this process and installed the `.js` → `.ts` resolver fallback.
  const { teardown } = await import('./setup.js');
  await teardown();
}
