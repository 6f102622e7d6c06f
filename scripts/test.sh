#!/usr/bin/env bash
# The test command (README: Testing). Run inside the environment `.ci/run` sets up.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -q -p no:cacheprovider "$@"
