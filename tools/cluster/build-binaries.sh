#!/usr/bin/env bash
# Builds the pinned local-cluster binaries from the Go module proxy and caches them by
# version outside the repository:
#   ${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}/bin/<name>-<version>/<name>
# Needs only Go (>= the go lines in tools/cluster/go/**/go.mod) and the module proxy.
# A binary that already exists is skipped, so a second run is a no-op.
#
# KAITO_TS_PREBUILT_BIN_DIR: a folder, in the same layout, of binaries someone on this machine
# already built (e.g. another user's ~/.cache/kaito-ts/bin, made readable). A pinned binary found
# there is copied into your own cache instead of compiled (seconds instead of ~40 minutes); what
# is not there is built as usual. Your cache stays yours: nothing is shared or linked.
#
# Usage: tools/cluster/build-binaries.sh [name ...]   (default: all)
# Names: kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl helm
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gomod="${here}/go"
cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
bindir="${cache}/bin"
mkdir -p "${bindir}"

# Pinned versions (KUBE_VERSION, ETCD_VERSION, KWOK_VERSION, HELM_VERSION), shared with src/versions.ts.
# They must match the go.mod files under tools/cluster/go.
# shellcheck source=versions.env
source "${here}/versions.env"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath"

# The Go the pinned modules need: the highest `go` line of tools/cluster/go/**/go.mod. Checked
# before the first compile only, so copying every binary from KAITO_TS_PREBUILT_BIN_DIR needs no Go.
go_checked=0
check_go() {
  ((go_checked)) && return 0
  go_checked=1
  local need_go have_go
  need_go="$(grep -h '^go ' "${gomod}"/go.mod "${gomod}"/*/go.mod | awk '{print $2}' | sort -V | tail -1)"
  if ! command -v go >/dev/null 2>&1; then
    echo "build-binaries: go is not on PATH; the pinned Kubernetes modules need Go ${need_go} or newer: install it from Go's release tarball (Debian's golang package is older) and put its bin/ on PATH" >&2
    exit 1
  fi
  have_go="$(go env GOVERSION)"; have_go="${have_go#go}"; have_go="${have_go%% *}"
  if [[ "$(printf '%s\n%s\n' "${need_go}" "${have_go}" | sort -V | head -1)" != "${need_go}" ]] && [[ "${GOTOOLCHAIN:-}" == local ]]; then
    echo "build-binaries: Go ${have_go} is too old: the pinned modules need Go ${need_go} or newer (or unset GOTOOLCHAIN=local so go fetches that toolchain from the module proxy)" >&2
    exit 1
  elif [[ "$(printf '%s\n%s\n' "${need_go}" "${have_go}" | sort -V | head -1)" != "${need_go}" ]]; then
    echo "build-binaries: Go ${have_go} is older than the ${need_go} the pinned modules need; go will fetch the go${need_go} toolchain from the module proxy first"
  fi
}
# Go's module and build caches live with ours, so `npm run clean:caches` removes everything.
export GOMODCACHE="${GOMODCACHE_KAITO:-${cache}/go/mod}" GOCACHE="${GOCACHE_KAITO:-${cache}/go/build}"
if ! command -v flock >/dev/null 2>&1; then
  echo "build-binaries: flock is not on PATH; install util-linux and rerun" >&2
  exit 1
fi

# Two processes compiling the same thing waste the machine; serialise builds.
exec 9>"${bindir}/.build.lock"
flock 9

stamp() { date +%s; }
total_start="$(stamp)"

# build <name> <version> <module dir> <package> [ldflags]
build() {
  local name="$1" version="$2" dir="$3" pkg="$4" ldflags="${5:-}"
  local out="${bindir}/${name}-${version}/${name}"
  if [[ -x "${out}" ]]; then
    echo "build-binaries: ${name} ${version} cached at ${out}"
    return 0
  fi
  local start tmp prebuilt="${KAITO_TS_PREBUILT_BIN_DIR:-}/${name}-${version}/${name}"
  start="$(stamp)"
  if [[ -n "${KAITO_TS_PREBUILT_BIN_DIR:-}" && -x "${prebuilt}" && -r "${prebuilt}" ]]; then
    mkdir -p "$(dirname "${out}")"
    tmp="${out}.tmp.$$"
    cp "${prebuilt}" "${tmp}" && chmod 755 "${tmp}"
    mv -f "${tmp}" "${out}"
    echo "build-binaries: copied ${name} ${version} from ${prebuilt} (KAITO_TS_PREBUILT_BIN_DIR) -> ${out}"
    return 0
  fi
  check_go
  echo "build-binaries: building ${name} ${version} (${progress}; a few minutes each on 2 cores, once per machine) ..."
  mkdir -p "$(dirname "${out}")"
  tmp="${out}.tmp.$$"
  (cd "${dir}" && go build -ldflags "-s -w ${ldflags}" -o "${tmp}" "${pkg}")
  mv -f "${tmp}" "${out}"
  echo "build-binaries: built ${name} ${version} in $(( $(stamp) - start ))s -> ${out}"
}

kube_ldflags() {
  local v="${KUBE_VERSION}" minor
  minor="$(echo "${v}" | cut -d. -f2)"
  local f=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X ${p}.gitVersion=${v} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
    f+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=1970-01-01T00:00:00Z"
  done
  echo "${f}"
}

kwok_ldflags() {
  echo "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION#v}"
}

want=("$@")
if [[ ${#want[@]} -eq 0 ]]; then
  want=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl helm)
fi

i=0
for name in "${want[@]}"; do
  i=$((i + 1)); progress="${i}/${#want[@]}"
  case "${name}" in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      build "${name}" "${KUBE_VERSION}" "${gomod}" "k8s.io/kubernetes/cmd/${name}" "$(kube_ldflags)" ;;
    etcd)
      build etcd "${ETCD_VERSION}" "${gomod}/etcd" go.etcd.io/etcd/server/v3 ;;
    kwok|kwokctl)
      build "${name}" "${KWOK_VERSION}" "${gomod}/kwok" "sigs.k8s.io/kwok/cmd/${name}" "$(kwok_ldflags)" ;;
    helm)
      build helm "${HELM_VERSION}" "${gomod}/helm" helm.sh/helm/v3/cmd/helm \
        "-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" ;;
    *)
      echo "build-binaries: unknown binary '${name}'" >&2; exit 2 ;;
  esac
done

echo "build-binaries: done in $(( $(stamp) - total_start ))s (cache ${bindir})"
