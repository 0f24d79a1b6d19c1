#!/usr/bin/env bash
# `npm run setup:system`: installs the Debian packages the tests and the demo need, once per
# machine. The only step that needs root: it uses sudo when not run as root, and says what it will
# install before it does. Idempotent: installed packages are left alone.
#
# It starts no service. Debian's docker-registry package enables a registry service that listens
# on port 5000 on every interface; the tests start their own registries on 127.0.0.1 instead. So
# the install runs with a policy-rc.d that forbids starting services, and the unit is disabled and
# stopped afterwards (also when an earlier install left it enabled).
#
# Usage: tools/setup/system.sh [--check|--dry-run]
#   --check    exit 0 when everything is installed, else print the one line saying what to run, exit 2
#   --dry-run  print what would be installed and how (root or sudo), change nothing
# Env: KAITO_TS_SYSTEM_PACKAGES_EXTRA  more package names (the set-up tests plant a missing one)
set -euo pipefail

packages=(
  ca-certificates openssl util-linux iproute2 # TLS for local servers; flock and unshare; ss
  docker-registry apache2-utils              # the real OCI registry the push tests start; htpasswd -B
  python3 python3-venv python3-pip python3-torch # the trainer: Debian's python3 3.11 with CPU torch
)
# shellcheck disable=SC2206
packages+=(${KAITO_TS_SYSTEM_PACKAGES_EXTRA:-})
services=(docker-registry.service)

mode=install
case "${1:-}" in
  --check) mode=check ;;
  --dry-run) mode=dry-run ;;
  '') ;;
  *) echo "setup:system: unknown option '$1' (expected --check or --dry-run)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [[ $mode == check ]]; then
  if ((${#missing[@]})); then
    echo "missing system packages (${missing[*]}): run 'npm run setup:system' once (it uses sudo), then run this again" >&2
    exit 2
  fi
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    if ((${#missing[@]})); then
      echo "setup:system: installing ${missing[*]} needs root, and sudo is not installed: run 'npm run setup:system' as root" >&2
      exit 2
    fi
  fi
  as_root=(sudo)
fi

if ((${#missing[@]} == 0)); then
  echo "setup:system: all system packages are installed (${packages[*]})"
elif [[ $mode == dry-run ]]; then
  echo "setup:system: would run: ${as_root[*]}${as_root:+ }apt-get install -y --no-install-recommends ${missing[*]}"
else
  echo "setup:system: installing ${missing[*]}${as_root:+ with sudo} (starting no service)"
  export DEBIAN_FRONTEND=noninteractive
  # A policy-rc.d exiting 101 tells invoke-rc.d and deb-systemd-invoke not to start services
  # during the install. Keep one that is already there (container images ship one).
  policy=/usr/sbin/policy-rc.d
  ours=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# kaito-ts setup:system: start no service during this install\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    ours=1
  fi
  cleanup() { if ((ours)); then "${as_root[@]}" rm -f "$policy"; fi; }
  trap cleanup EXIT
  # Other jobs may hold the dpkg lock; wait for it rather than fail.
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi

[[ $mode == dry-run ]] && exit 0
# Disable (works without a running systemd) and, where systemd runs, stop the services that the
# packages enable. Nothing of ours needs them.
if command -v systemctl >/dev/null 2>&1; then
  for unit in "${services[@]}"; do
    if systemctl list-unit-files "$unit" >/dev/null 2>&1 && [[ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" == enabled ]]; then
      "${as_root[@]}" systemctl disable "$unit" >/dev/null 2>&1 || true
      echo "setup:system: disabled $unit (it would listen on every interface)"
    fi
    if [[ -d /run/systemd/system ]]; then "${as_root[@]}" systemctl stop "$unit" >/dev/null 2>&1 || true; fi
  done
fi
echo "setup:system: done"
