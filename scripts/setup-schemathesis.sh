#!/usr/bin/env bash
# Installs Schemathesis (PyPI, pinned) into a virtual environment outside the repo, once, and prints its `st` path.
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-webhooks/schemathesis-$SCHEMATHESIS_VERSION}"
if [ ! -x "$VENV/bin/st" ]; then
  echo "==> installing Schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
  if ! python3 -m venv "$VENV" >&2; then
    echo "python3 -m venv failed: install Debian's python3-venv (apt-get install python3-venv)" >&2
    exit 1
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi
echo "$VENV/bin/st"
