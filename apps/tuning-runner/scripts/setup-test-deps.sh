#!/usr/bin/env bash
# Makes the trainer venv the tuning-runner tests use, in the user's own cache; needs no root.
# The system packages it builds on (python3-torch, docker-registry, …) come from
# `npm run setup:system` (tools/setup/system.sh); this says so and stops when they are missing.
# Idempotent: a complete venv whose requirements have not changed is left as it is.
#   - python3-torch (1.13.1, CPU) for Debian's python3 3.11, plus the Hugging Face libraries pinned
#     in trainer/requirements.txt (+ requirements-test.txt) in a venv that sees the system
#     site-packages
# Env: TUNING_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app="$(dirname "$here")"
root="$(cd "$app/../.." && pwd)"
cache="${KAITO_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts}"
venv="${TUNING_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kaito-ts/venv-trainer}"

bash "$root/tools/setup/system.sh" --check
# The trainer needs Debian's python3 (3.11): python3-torch is built for it, not for another interpreter.
if ! /usr/bin/python3 -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  echo "setup-test-deps: the trainer needs Debian's /usr/bin/python3 3.11 with python3-torch; found $(/usr/bin/python3 --version 2>&1 || echo none) (Debian bookworm ships 3.11)" >&2
  exit 2
fi

stamp="$venv/.requirements.sha256"
want="$(cat "$app/trainer/requirements.txt" "$app/trainer/requirements-test.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  PIP_CACHE_DIR="$cache/pip" "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    --no-deps -r "$app/trainer/requirements.txt" -r "$app/trainer/requirements-test.txt"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import torch, transformers, peft, accelerate, safetensors; print("trainer venv ok: torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'
