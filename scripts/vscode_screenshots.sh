#!/usr/bin/env bash
# Regenerates docs/vscode-ghost-text.png, vscode-fill-hole.png and vscode-suggest-list.png: the real-editor test
# (tests/e2e/test_vscode_real.py) takes them from code-server while it drives the product.
# Needs `bash scripts/setup_vscode_e2e.sh` once, inside the environment `.ci/run` sets up.
set -euo pipefail
cd "$(dirname "$0")/.."
REPOFILL_SCREENSHOTS=docs exec python -m pytest -q -p no:cacheprovider \
  tests/e2e/test_vscode_real.py -k "ghost_text or fill_hole or suggest_list" "$@"
