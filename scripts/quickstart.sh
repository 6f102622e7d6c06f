#!/usr/bin/env bash
# Install RepoFill with the embedded model into .venv and complete a line of the demo project,
# with repository context and without.
set -euo pipefail
cd "$(dirname "$0")/.."
# Portable llama.cpp build (docs/models.md, "GPU offload"); override CMAKE_ARGS for CUDA/Metal.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"
python3 -m venv .venv
# shellcheck disable=SC1091
source .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[default-model]"
# The cursor after `length = ` in describe_path; the right answer is in shapes/paths.py.
echo "== with repository context (examples/demo)"
repofill complete examples/demo/shapes/report.py --root examples/demo --line 13 --column 14
echo "== the current file alone (--no-index)"
repofill complete examples/demo/shapes/report.py --no-index --line 13 --column 14
