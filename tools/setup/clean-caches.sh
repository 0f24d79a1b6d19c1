#!/usr/bin/env bash
# `npm run clean:caches`: stops every local cluster and removes everything kaito-ts keeps outside
# the repository: ${KAITO_TS_CACHE:-~/.cache/kaito-ts} (built Kubernetes binaries, Go module and
# build caches, the trainer venv, pip's cache, Nx's task cache, cluster state and logs). The next `npm test` builds
# them again (the cold timings in the README). npm's own cache (~/.npm) and the repository's
# node_modules are left alone: `npm cache clean --force` and `rm -rf node_modules` remove those.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
if [[ ! -d "$cache" ]]; then
  echo "clean:caches: nothing to remove ($cache does not exist)"
  exit 0
fi
# Stop clusters first: their processes hold files under the cache.
if [[ -d "$cache/clusters" ]]; then
  for state in "$cache"/clusters/*/; do
    [[ -d "$state" ]] || continue
    name="$(basename "$state")"
    echo "clean:caches: stopping cluster $name"
    (cd "$root" && npx --no-install tsx --conditions=@kaito-ts/source tools/cluster/src/cli.ts down --cluster "$name") || true
  done
fi
size="$(du -sh "$cache" 2>/dev/null | cut -f1)"
# Go marks its module cache read-only; make it writable so rm can remove it.
chmod -R u+w "$cache" 2>/dev/null || true
rm -rf "$cache"
echo "clean:caches: removed $cache ($size)"
