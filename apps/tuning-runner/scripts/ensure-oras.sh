#!/usr/bin/env bash
# Builds the oras CLI (for the push benchmark) from the Go module proxy into a cache outside the
# repository, once; prints its path. Needs Go (1.23+). Nothing built is committed.
set -euo pipefail
version="${ORAS_VERSION:-v1.3.6}"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/bin"
if [[ -x "$bin/oras-$version" ]]; then echo "$bin/oras-$version"; exit 0; fi
mkdir -p "$bin"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" CGO_ENABLED=0 go install "oras.land/oras/cmd/oras@$version" >&2
mv "$tmp/oras" "$bin/oras-$version"
echo "$bin/oras-$version"
