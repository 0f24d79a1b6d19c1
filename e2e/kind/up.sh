#!/usr/bin/env bash
# Creates a kind cluster and installs kwok into it, so the fake GPU nodes, kwok stages and CRDs
# match the local control plane of tools/cluster. Needs a Docker engine (kind cannot run on hosts
# without one, e.g. the team's build machines; there use `npm run cluster -- up`).
#
# Usage: e2e/kind/up.sh            then: export KAITO_TS_KUBECONFIG="$(e2e/kind/up.sh --print-kubeconfig)"
# Env:   KIND_CLUSTER (default kaito-ts), KIND_KUBECONFIG (default ~/.cache/kaito-ts/kind/kubeconfig),
#        KIND (a kind binary; default: kind on PATH, else built with Go into the cache)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../tools/cluster/versions.env
source "${root}/tools/cluster/versions.env"
KIND_VERSION="v0.30.0"
cluster="${KIND_CLUSTER:-kaito-ts}"
cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
kubeconfig="${KIND_KUBECONFIG:-${cache}/kind/kubeconfig}"

if [[ "${1:-}" == "--print-kubeconfig" ]]; then echo "${kubeconfig}"; exit 0; fi

if ! docker info >/dev/null 2>&1; then
  echo "e2e/kind/up.sh: no Docker engine reachable (docker info failed); kind needs one." >&2
  echo "On hosts without Docker use the local control plane: npm run cluster -- up" >&2
  exit 1
fi
command -v kubectl >/dev/null || { echo "e2e/kind/up.sh: kubectl is not on PATH; install it" >&2; exit 1; }

kind="${KIND:-$(command -v kind || true)}"
if [[ -z "${kind}" ]]; then
  kind="${cache}/bin/kind-${KIND_VERSION}/kind"
  if [[ ! -x "${kind}" ]]; then
    echo "e2e/kind/up.sh: building kind ${KIND_VERSION} with Go"
    GOBIN="$(dirname "${kind}")" go install "sigs.k8s.io/kind@${KIND_VERSION}"
  fi
fi

mkdir -p "$(dirname "${kubeconfig}")"
if "${kind}" get clusters 2>/dev/null | grep -qx "${cluster}"; then
  echo "e2e/kind/up.sh: kind cluster ${cluster} exists; reusing it"
  "${kind}" export kubeconfig --name "${cluster}" --kubeconfig "${kubeconfig}"
else
  "${kind}" create cluster --name "${cluster}" --config "${root}/e2e/kind/kind-config.yaml" \
    --kubeconfig "${kubeconfig}" --wait 180s
fi
export KUBECONFIG="${kubeconfig}"

# kwok in the cluster: its release manifest runs kwok-controller in kube-system managing only
# nodes annotated kwok.x-k8s.io/node=fake (which tools/cluster's fake GPU nodes carry), with the
# Stage CRD enabled; our stages replace kwok's stage-fast.yaml.
kubectl apply -f "https://github.com/kubernetes-sigs/kwok/releases/download/${KWOK_VERSION}/kwok.yaml"
kubectl -n kube-system rollout status deployment/kwok-controller --timeout=180s
kubectl wait --for=condition=Established crd/stages.kwok.x-k8s.io --timeout=60s
kubectl apply --server-side -f "${root}/tools/cluster/stages/"
if compgen -G "${root}/crds/*.yaml" >/dev/null; then
  kubectl apply --server-side -f "${root}/crds/"
fi

echo "e2e/kind/up.sh: kind cluster ${cluster} ready with kwok ${KWOK_VERSION}"
echo "  export KAITO_TS_KUBECONFIG=${kubeconfig}"
echo "  npm run cluster -- add-gpu-node --kubeconfig ${kubeconfig} --sku Standard_NC6s_v3"
echo "  KAITO_TS_KUBECONFIG=${kubeconfig} npm run test:int"
