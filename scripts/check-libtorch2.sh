#!/usr/bin/env bash
# make check-libtorch2: build UMed against libtorch 2.x and run the whole test suite there.
# The libtorch is the torch/ folder of a pip-installed wheel in .venv (made if missing);
# TORCH2_SPEC picks the wheel (default: the CPU build of torch 2.13).
set -euo pipefail
venv=${VENV:-.venv}
spec=${TORCH2_SPEC:-torch==2.13.0+cpu}

if [[ -z "${LIBTORCH:-}" ]]; then
  if [[ ! -x "$venv/bin/python" ]]; then python3 -m venv "$venv"; fi
  if ! "$venv/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.') else 1)" 2>/dev/null; then
    "$venv/bin/pip" install -q "$spec"
  fi
  LIBTORCH=$("$venv/bin/python" -c "import os, torch; print(os.path.dirname(torch.__file__))")
fi
export LIBTORCH
echo "check-libtorch2: LIBTORCH=$LIBTORCH"
SCRATCH_PATH=.build-libtorch2 bash scripts/test.sh
.build-libtorch2/debug/umed doctor
