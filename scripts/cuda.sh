#!/usr/bin/env bash
# make cuda: umed built against a CUDA libtorch, in .build-cuda (release): CUDA tensors, bf16
# autocast, NCCL process groups for `umed launch` on GPUs. Needs no GPU to build.
#   LIBTORCH_CUDA=DIR   use that libtorch (a CUDA libtorch archive's root, or a CUDA torch wheel's
#                       torch/ folder; NCCL's and the CUDA runtime's headers are looked for in the
#                       wheel's site-packages/nvidia/*/include)
#   TORCH_VERSION=X.Y.Z otherwise pip installs this torch (default: the newest) into .deps/cuda-venv;
#                       match the torch of the machine that will run the binary (its libraries are
#                       loaded from there: LD_LIBRARY_PATH=<that torch>/lib)
# Several GB on first use (the CUDA torch wheel and its nvidia-* wheels).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ -n "${LIBTORCH_CUDA:-}" ]]; then
  torch="$LIBTORCH_CUDA"
else
  venv="$root/.deps/cuda-venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
  if ! "$venv/bin/python" -c "import torch" 2>/dev/null \
      || { [[ -n "${TORCH_VERSION:-}" ]] && [[ "$("$venv/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')" != "$TORCH_VERSION" ]]; }; then
    echo "cuda: installing torch ${TORCH_VERSION:-(newest)} with CUDA into .deps/cuda-venv (several GB)"
    "${pip[@]}" "torch${TORCH_VERSION:+==$TORCH_VERSION}"
  fi
  cuda=$("$venv/bin/python" -c "import torch; print(torch.version.cuda or '')")
  if [[ -z "$cuda" ]]; then
    echo "error: the torch in .deps/cuda-venv has no CUDA (a CPU wheel); remove .deps/cuda-venv or set LIBTORCH_CUDA" >&2
    exit 1
  fi
  # c10d's NCCL header includes the CUDA runtime's headers, whose crt/ part ships with nvcc's wheel.
  major=${cuda%%.*}
  site=$("$venv/bin/python" -c "import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))")
  if ! compgen -G "$site/nvidia/*/include/crt/host_config.h" >/dev/null; then
    if (( major >= 13 )); then nvcc="nvidia-cuda-nvcc==$cuda.*"; else nvcc="nvidia-cuda-nvcc-cu$major==$cuda.*"; fi
    echo "cuda: installing $nvcc (the CUDA runtime's crt/ headers)"
    "${pip[@]}" "$nvcc"
  fi
  torch="$site/torch"
fi

if [[ ! -f "$torch/lib/libtorch_cuda.so" ]]; then
  echo "error: $torch/lib has no libtorch_cuda.so: not a CUDA libtorch" >&2
  exit 1
fi
echo "cuda: building .build-cuda/release/umed against $torch"
LIBTORCH="$torch" swift build -c release --product umed --scratch-path .build-cuda
echo "cuda: built .build-cuda/release/umed (check it on a GPU machine with scripts/device-check.sh)"
