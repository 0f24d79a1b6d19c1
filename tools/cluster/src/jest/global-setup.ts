// Jest global setup for the integration and e2e tiers (jest.integration.config.cjs,
// e2e/jest.e2e.config.cjs): reuse the running local cluster or start one — one per jest worker
// when jest runs several — install crds/, and hand each worker its cluster's kubeconfig
// (../testing/jest-environment.ts sets KUBECONFIG). KAITO_TS_KUBECONFIG=<path> targets another cluster instead
// (e.g. the kind path). The work is in ./setup.ts.
import Module from 'node:module';

type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

/**
 * Jest transforms globalSetup/globalTeardown but does not apply moduleNameMapper to them, so the
 * nodenext-style `./x.js` imports of ./setup.ts and what it imports would not find `./x.ts`.
 * This teaches Node's CommonJS resolver that fallback, for this (jest's main) process only.
 */
function resolveTsSources(): void {
  const mod = Module as unknown as { _resolveFilename: Resolve & { kaitoTs?: true } };
  if (mod._resolveFilename.kaitoTs === true) return;
  const original = mod._resolveFilename;
  const patched: Resolve & { kaitoTs?: true } = function (this: unknown, request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (err) {
      if (request.startsWith('.') && request.endsWith('.js')) {
        return original.call(this, `${request.slice(0, -3)}.ts`, parent, isMain, options);
      }
      throw err;
    }
  };
  patched.kaitoTs = true;
  mod._resolveFilename = patched;
}

export default async function globalSetup(globalConfig: { readonly maxWorkers: number }): Promise<void> {
  resolveTsSources();
  const { setup } = await import('./setup.js');
  await setup(globalConfig.maxWorkers);
}
