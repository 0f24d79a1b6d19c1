#!/usr/bin/env bash
# Installs what the tuning-runner tests need on a fresh Debian bookworm machine (run as root).
# Idempotent: installed packages and a complete venv are left as they are.
#   - docker-registry (2.8.2) + apache2-utils (htpasswd -B): the real registry the push tests start
#   - python3-torch (1.13.1, CPU) for Debian's python3, plus the Hugging Face libraries pinned
#     in trainer/requirements.txt (+ requirements-test.txt) into a venv that sees the system
#     site-packages
# Env: TUNING_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app="$(dirname "$here")"
venv="${TUNING_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer}"
pkgs=(ca-certificates openssl docker-registry apache2-utils python3 python3-torch python3-venv python3-pip)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Other jobs may hold the dpkg lock; wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp="$venv/.requirements.sha256"
want="$(cat "$app/trainer/requirements.txt" "$app/trainer/requirements-test.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  # Debian's python3 (3.11): python3-torch is built for it, not for a pyenv interpreter.
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    --no-deps -r "$app/trainer/requirements.txt" -r "$app/trainer/requirements-test.txt"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import torch, transformers, peft, accelerate, safetensors; print("trainer venv ok: torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'
