#!/usr/bin/env bash
# make deps: install what UMed needs and is missing. Idempotent: present packages are skipped.
#   libtorch-dev          PyTorch's C++ library (skipped when LIBTORCH points at a libtorch)
#   libopenblas0-pthread  without it Debian's libtorch falls back to reference BLAS (~15x slower matmul)
#   libpng-dev libjpeg-dev  image decoders
set -euo pipefail

packages=(libopenblas0-pthread libpng-dev libjpeg-dev)
if [[ -n "${LIBTORCH:-}" ]]; then
  if [[ ! -d "$LIBTORCH/include" || ! -d "$LIBTORCH/lib" ]]; then
    echo "error: LIBTORCH=$LIBTORCH must hold include/ and lib/ (a libtorch root or a pip install's torch/ folder)" >&2
    exit 1
  fi
  echo "deps: using libtorch from LIBTORCH=$LIBTORCH"
else
  packages=(libtorch-dev "${packages[@]}")
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH. Install Swift 6 (swift.org) and retry." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
deps: this machine has no apt. Install these yourself:
  - libtorch (PyTorch's C++ library): unzip a libtorch archive, or `pip install torch` into a venv,
    and point LIBTORCH at its root (the folder holding include/ and lib/; for pip, .../site-packages/torch):
      export LIBTORCH=/path/to/libtorch
  - an optimized BLAS if your libtorch uses the system one (OpenBLAS), libpng and libjpeg(-turbo).
MSG
  [[ -n "${LIBTORCH:-}" ]] && exit 0 || exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all present (${packages[*]})"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "error: need root to install: ${missing[*]} (run as root or install sudo)" >&2
    exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
