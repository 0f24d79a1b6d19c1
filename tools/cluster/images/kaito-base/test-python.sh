#!/usr/bin/env bash
# Runs the kaito-base stand-in's Python tests in the trainer venv (apps/tuning-runner/scripts/setup-test-deps.sh).
# Extra arguments go to pytest, e.g. --junitxml=test-results/python-cpu-inference.xml
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TUNING_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer}"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "trainer venv not found at $venv; run apps/tuning-runner/scripts/setup-test-deps.sh first" >&2
  exit 1
fi
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
