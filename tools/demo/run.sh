#!/usr/bin/env bash
# `npm run demo`: installs what the demo needs, then runs it (tools/demo/src/main.ts).
# The same checks and installs as `npm test` (tools/test/run-all.sh), each skipped when done:
#   - Node.js new enough, the Debian packages (as root installed here, else: npm run setup:system);
#   - node_modules (npm ci) on a fresh clone;
#   - the trainer venv (CPU torch, transformers, peft) in ~/.cache/kaito-ts;
#   - the local cluster's binaries, built once from the Go module proxy (a line per binary; about
#     10 minutes on an idle 2-core machine, 40 under load).
# Arguments go to the demo: npm run demo -- --keep   (npm run demo -- --help for all of them)
set -euo pipefail
cd "$(dirname "$0")/../.."
node tools/setup/check-node.cjs || exit 2
if ! bash tools/setup/system.sh --check 2>/dev/null; then
  if ((EUID == 0)); then bash tools/setup/system.sh || exit 2; else bash tools/setup/system.sh --check; exit 2; fi
fi
if [ ! -d node_modules ]; then
  echo "demo: installing npm dependencies (npm ci, once) ..."
  npm ci --no-audit --no-fund
fi
# Each says in a line what it has (or builds, with the time it takes).
bash apps/tuning-runner/scripts/setup-test-deps.sh
if ! bash tools/cluster/build-binaries.sh 2>&1 | { grep -v -e ' cached at ' || true; }; then
  echo "demo: the cluster binaries could not be built (above)" >&2
  exit 2
fi
exec node --conditions=@kaito-ts/source --import tsx tools/demo/src/main.ts "$@"
