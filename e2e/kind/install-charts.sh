#!/usr/bin/env bash
# Builds the controller images, loads them into the kind cluster e2e/kind/up.sh made, and installs
# the charts: workspace-controller (kaito-system) and the kwok provisioner (kwok-provisioner) as
# the GPU provisioner's swap-in. Needs a Docker engine, kind and kubectl (not runnable on hosts
# without Docker; there the integration test charts/src/install.int.spec.ts installs the charts
# on the local control plane instead). See docs/charts.md.
#
# Usage: e2e/kind/up.sh && e2e/kind/install-charts.sh [--skip-build]
#        e2e/kind/install-charts.sh --uninstall     (leaves the CRDs, as helm does)
# Env:   KIND_CLUSTER (default kaito-ts), KIND_KUBECONFIG (as up.sh), KIND, HELM (default: helm on
#        PATH, else the pinned one tools/cluster builds), NODE_API (nodeclaim|machine, default nodeclaim)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../tools/cluster/versions.env
source "${root}/tools/cluster/versions.env"
cluster="${KIND_CLUSTER:-kaito-ts}"
cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
export KUBECONFIG="${KIND_KUBECONFIG:-${cache}/kind/kubeconfig}"
node_api="${NODE_API:-nodeclaim}"
kind="${KIND:-$(command -v kind || ls "${cache}"/bin/kind-*/kind 2>/dev/null | tail -1 || true)}"
helm="${HELM:-$(command -v helm || true)}"
if [[ -z "${helm}" ]]; then
  helm="${cache}/bin/helm-${HELM_VERSION}/helm"
  [[ -x "${helm}" ]] || bash "${root}/tools/cluster/build-binaries.sh" helm
fi

if [[ "${1:-}" == "--uninstall" ]]; then
  "${helm}" uninstall workspace-controller --namespace kaito-system --wait || true
  "${helm}" uninstall kwok-provisioner --namespace kwok-provisioner --wait || true
  exit 0
fi

[[ -n "${kind}" ]] || { echo "e2e/kind/install-charts.sh: kind not found; run e2e/kind/up.sh first" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "e2e/kind/install-charts.sh: no Docker engine reachable (docker info failed)" >&2; exit 1; }

version="$(sed -n 's/^appVersion: "\(.*\)"$/\1/p' "${root}/charts/workspace-controller/Chart.yaml")"
images=(
  "apps/workspace-controller ghcr.io/kaito-ts/workspace-controller:${version}"
  "tools/kwok-provisioner ghcr.io/kaito-ts/kwok-provisioner:${version}"
)
for entry in "${images[@]}"; do
  read -r project image <<<"${entry}"
  if [[ "${1:-}" != "--skip-build" ]]; then
    docker build -f "${root}/${project}/Dockerfile" -t "${image}" "${root}"
  fi
  "${kind}" load docker-image "${image}" --name "${cluster}"
done

# The chart's CRDs are the ones up.sh applied; helm skips CRDs that exist.
"${helm}" upgrade --install kwok-provisioner "${root}/charts/kwok-provisioner" \
  --namespace kwok-provisioner --create-namespace --set nodeAPI="${node_api}" --set launchDelay=5s --wait --timeout 3m
"${helm}" upgrade --install workspace-controller "${root}/charts/workspace-controller" \
  --namespace kaito-system --create-namespace --set nodeAPI="${node_api}" --wait --timeout 3m

kubectl -n kaito-system rollout status deployment/workspace-controller --timeout=120s
kubectl -n kwok-provisioner rollout status deployment/kwok-provisioner --timeout=120s
echo "e2e/kind/install-charts.sh: charts installed; try: kubectl apply -f <a Workspace> and kubectl get workspace -w"
