/**
 * The `node` flags the workspace controller runs with: read from its image's ENTRYPOINT
 * (apps/workspace-controller/Dockerfile), which the chart runs as is, so the benchmark measures the
 * process a cluster runs — the same V8 heap settings, not a benchmark-only tuning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class EntrypointError extends Error {}

/** The flags between `node` and the script in an exec-form `ENTRYPOINT ["node", …flags, "<script>"]`. */
export function entrypointNodeFlags(dockerfile: string): string[] {
  const lines = dockerfile.split('\n').filter((l) => /^\s*ENTRYPOINT\s/.test(l));
  const last = lines[lines.length - 1];
  if (last === undefined) throw new EntrypointError('the Dockerfile has no ENTRYPOINT');
  let argv: unknown;
  try {
    argv = JSON.parse(last.replace(/^\s*ENTRYPOINT\s+/, ''));
  } catch {
    throw new EntrypointError(`ENTRYPOINT must be in exec form, e.g. ["node", "--max-semi-space-size=2", "/app/main.js"]; got: ${last.trim()}`);
  }
  if (!Array.isArray(argv) || argv.length < 2 || argv[0] !== 'node' || !argv.every((a) => typeof a === 'string')) {
    throw new EntrypointError(`ENTRYPOINT must run node with a script, e.g. ["node", "/app/main.js"]; got: ${last.trim()}`);
  }
  return (argv as string[]).slice(1, -1);
}

/** The workspace controller image's node flags (repoRoot: the repository's root). */
export function controllerNodeFlags(repoRoot: string): string[] {
  return entrypointNodeFlags(readFileSync(join(repoRoot, 'apps', 'workspace-controller', 'Dockerfile'), 'utf8'));
}
