#!/usr/bin/env bash
# mypy over the repofill namespace: the top-level folders are mapped into `repofill.*` by
# pyproject's package-dir, which mypy cannot follow through an editable install, so we give it
# a tree of symlinks with the installed layout.
set -euo pipefail
cd "$(dirname "$0")/.."
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/repofill"
for pkg in lsp retrieval models bench; do ln -s "$PWD/$pkg" "$tree/repofill/$pkg"; done
MYPYPATH="$tree" mypy --cache-dir .mypy_cache -p repofill.lsp -p repofill.retrieval -p repofill.models -p repofill.bench
