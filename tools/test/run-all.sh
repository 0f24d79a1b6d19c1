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
# Nx only restores an artifact its database (in the workspace-data directory) has a record of,
# and with NX_CACHE_DIRECTORY set that database would stay in the clone's own .nx/: a fresh clone
# would find the cache and hit nothing. So the database lives next to the cache, and moves with it.
kaito_cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
export NX_CACHE_DIRECTORY="${NX_CACHE_DIRECTORY:-$kaito_cache/nx}"
export NX_WORKSPACE_DATA_DIRECTORY="${NX_WORKSPACE_DATA_DIRECTORY:-$NX_CACHE_DIRECTORY-workspace-data}"
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

background=()
in_background() { # in_background NAME CMD... : `step` in the background, each output line prefixed "[NAME] "
  local name=$1
  (step "$@" 2>&1 | sed -u "s/^/[$name] /") &
  background+=($!)
}
wait_background() {
  local pid
  for pid in "${background[@]}"; do wait "$pid"; done
  background=()
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
# The integration and e2e tiers run at the same time, each on clusters of its own: most of their
# time is spent waiting (for controllers, kills, timeouts), not computing. Within a tier, each jest
# worker runs its files one after another on a cluster of its own (worker 1 on the tier's cluster
# name, worker i on <name>-w<i>), so no two files share a control plane at once, as with
# --runInBand. KAITO_TS_INT_WORKERS / KAITO_TS_E2E_WORKERS set the number of workers (clusters).
cluster="${KAITO_TS_CLUSTER:-kaito-ts}"
in_background integration env KAITO_TS_CLUSTER="$cluster" npx jest -c jest.integration.config.cjs --maxWorkers="${KAITO_TS_INT_WORKERS:-2}" --json --outputFile="$results/integration.json"
# E2E tier (e2e/): the controllers and provisioners as separate processes; process logs of a failed
# run stay in test-results/e2e-logs/. The processes run from the dist/ the build step just made
# (KAITO_TS_E2E_PROGRAMS=dist: faster restarts).
in_background e2e env KAITO_TS_CLUSTER="$cluster-e2e" KAITO_TS_E2E_PROGRAMS=dist npx jest -c e2e/jest.e2e.config.cjs --maxWorkers="${KAITO_TS_E2E_WORKERS:-2}" --json --outputFile="$results/e2e.json"
wait_background
node tools/test/summarize.mjs "$results"
