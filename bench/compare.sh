#!/usr/bin/env bash
# The bench harness (make bench): UMed and its peer — PyTorch + transformers from Python — on the
# same configurations and weights, back to back, then the ratio tables; BENCHMARKS.md's generated
# section (between its "bench/compare.sh" markers) is rewritten from them.
#   generation     bench/peer_generate.py writes a ~20M-parameter LLaVA (random weights) once; both
#                  sides load it and time prefill and greedy tokens/s at batch 1 and 8.
#   training step  umed bench sft-step writes a ~26M-parameter LLaVA and a batch; the peer loads both
#                  and runs the same step (same loss, checked to 1e-4).
#   peak memory    each process's peak RSS.
# Usage: bash bench/compare.sh [--steps 10] [--warmup 2] [--no-write]
# Environment: PYTHON (default .venv/bin/python; made from scripts/fixtures/requirements.txt when
# missing), SCRATCH (SwiftPM scratch path, default .build), BENCH_DIR (default /tmp/umed-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=10 warmup=2 write=--write
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --no-write) write=; shift ;;
    *) echo "unknown argument $1 (known: --steps N --warmup N --no-write)" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-.venv/bin/python}
if ! "$python" -c "import torch, transformers" 2>/dev/null; then
  echo "bench: installing the peer's Python packages into .venv (several GB, once)" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q -r scripts/fixtures/requirements.txt
  python=.venv/bin/python
fi
scratch=${SCRATCH:-.build}
swift build -c release --product umed --scratch-path "$scratch" >/dev/null
umed=$scratch/release/umed
dir=${BENCH_DIR:-/tmp/umed-bench}
mkdir -p "$dir"

echo "bench: generation (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
if [ ! -f "$dir/llava/config.json" ]; then
  "$python" bench/peer_generate.py --out "$dir/llava" --batch 1 --repeats 1 >/dev/null   # writes the weights
fi
peer_generate=$("$python" bench/peer_generate.py --out "$dir/llava")
umed_generate=$("$umed" bench generate --model "$dir/llava")

echo "bench: training step (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
umed_step=$("$umed" bench sft-step --batch 8 --length 256 --answer-fraction 0.3 --steps "$steps" --warmup "$warmup" \
  --threads 2 --write-dir "$dir/sft")
peer_step=$("$python" bench/peer_sft_step.py --dir "$dir/sft" --steps "$steps" --warmup "$warmup" --threads 2)

for name in peer_generate umed_generate peer_step umed_step; do printf '%s\n' "${!name}" > "$dir/$name.json"; done
"$python" bench/ratio_tables.py $write \
  --command "bash bench/compare.sh --steps $steps --warmup $warmup" \
  --machine "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), $(swift --version 2>/dev/null | head -n 1 | sed 's/ (.*//')" \
  --generation "$peer_generate" "$umed_generate" --training "$peer_step" "$umed_step"
