#!/usr/bin/env bash
# The test command (docs/development.md). Run inside the environment `.ci/run` sets up.
#
# It includes the real-VS-Code test (tests/e2e/test_vscode_real.py, code-server + Chromium), which
# needs `bash scripts/setup_vscode_e2e.sh` first, and the Neovim terminal test
# (tests/e2e/test_neovim_terminal.py, Neovim in tmux) needs `bash scripts/setup_neovim_e2e.sh`:
# without them those tests skip, or fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -q -p no:cacheprovider "$@"
