#!/usr/bin/env bash
# Runs the trainer's Python tests in the trainer venv (made by setup-test-deps.sh).
# Extra arguments go to pytest, e.g. --junitxml=test-results/tuning-trainer.xml
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TUNING_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer}"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "trainer venv not found at $venv; run apps/tuning-runner/scripts/setup-test-deps.sh first" >&2
  exit 1
fi
cd "$here/../trainer"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
