// Jest global teardown for the integration and e2e tiers: stops the local clusters global setup
// started (clusters that were already running are left running). KAITO_TS_KEEP_CLUSTER=1 keeps them.
/** Must equal STARTED_ENV in ./setup.ts (not imported: see below). */
const STARTED_ENV = 'KAITO_TS_CLUSTER_STARTED_BY_JEST';

export default async function globalTeardown(): Promise<void> {
  if ((process.env[STARTED_ENV] ?? '') === '') return;
  // Global setup ran in this process and installed the `.js` → `.ts` resolver fallback.
  const { teardown } = await import('./setup.js');
  await teardown();
}
