#!/usr/bin/env bash
# Deletes the kind cluster e2e/kind/up.sh created.
set -euo pipefail
cluster="${KIND_CLUSTER:-kaito-ts}"
kind="${KIND:-$(command -v kind || true)}"
if [[ -z "${kind}" ]]; then
  cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
  kind="$(ls "${cache}"/bin/kind-*/kind 2>/dev/null | tail -1)"
fi
[[ -n "${kind}" ]] || { echo "e2e/kind/down.sh: kind not found" >&2; exit 1; }
"${kind}" delete cluster --name "${cluster}"
