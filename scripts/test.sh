#!/usr/bin/env bash
# The test command (README: Testing). Run inside the environment `.ci/run` sets up.
#
# It includes the real-VS-Code test (tests/e2e/test_vscode_real.py, code-server + Chromium), which
# needs `bash scripts/setup_vscode_e2e.sh` first: without it the test skips, or fails under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -q -p no:cacheprovider "$@"
