#!/usr/bin/env bash
# The one test command (README: `npm test`; CI: `.ci/run`). Runs every tier and ends with one
# line: "N passed, N failed". Each tier runs even when an earlier one failed, so one run shows
# everything; a failed step that is not a test tier (install, lint, build) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
# Checks that stop at once with one line saying what to do, before anything is installed or run.
node tools/setup/check-node.cjs || exit 2
if ! bash tools/setup/system.sh --check 2>/dev/null; then
  # Root (CI, a fresh container) installs the system packages itself; anyone else is told the command.
  if ((EUID == 0)); then bash tools/setup/system.sh || exit 2; else bash tools/setup/system.sh --check; exit 2; fi
fi
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0
# Nx's task cache lives with our other caches, so a fresh clone on the same machine (CI's) reuses
# lint/build/typecheck results whose inputs did not change; `npm run clean:caches` removes it.
export NX_CACHE_DIRECTORY="${NX_CACHE_DIRECTORY:-${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}/nx}"
results=test-results
rm -rf "$results" && mkdir -p "$results"
steps_file="$results/steps.tsv"
: >"$steps_file"

step() { # step NAME CMD... : runs, times and records a step
  local name=$1; shift
  local start=$SECONDS
  echo "::: $name"
  "$@"
  local rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - start))" >>"$steps_file"
  echo "::: $name: exit $rc in $((SECONDS - start))s"
  return $rc
}

if [ "${CI:-}" = "true" ] || [ ! -d node_modules ]; then
  step install npm ci --no-audit --no-fund || { node tools/test/summarize.mjs "$results"; exit 1; }
fi
step lint npx nx run-many -t lint --output-style=static
step build npx nx run-many -t build typecheck --output-style=static
# The trainer venv the tuning-runner tests use (CPU torch), in the user's cache.
step tuning-deps bash apps/tuning-runner/scripts/setup-test-deps.sh
step unit npx jest -c jest.config.cjs --json --outputFile="$results/unit.json"
step python-tuning bash apps/tuning-runner/scripts/test-python.sh --junitxml="$PWD/$results/python-tuning.xml"
# The CPU stand-in for Kaito's inference image (the process kubelet serves inference pods with it), same venv.
step python-cpu-inference bash tools/cluster/images/kaito-base/test-python.sh --junitxml="$PWD/$results/python-cpu-inference.xml"
# Integration tier: the real local control plane (tools/cluster). The first run on a machine
# builds the Kubernetes binaries from the Go module proxy into ~/.cache/kaito-ts/bin (slow, once).
step cluster-binaries bash tools/cluster/build-binaries.sh
step integration npx jest -c jest.integration.config.cjs --runInBand --json --outputFile="$results/integration.json"
# E2E tier (e2e/): the controllers and provisioners as separate processes, on a cluster of its own
# (started in ~10 s, stopped after); process logs of a failed run stay in test-results/e2e-logs/.
# The processes run from the dist/ the build step just made (KAITO_TS_E2E_PROGRAMS=dist: faster restarts).
step e2e env KAITO_TS_CLUSTER="${KAITO_TS_CLUSTER:-kaito-ts}-e2e" KAITO_TS_E2E_PROGRAMS=dist npx jest -c e2e/jest.e2e.config.cjs --runInBand --json --outputFile="$results/e2e.json"
node tools/test/summarize.mjs "$results"
