#!/usr/bin/env bash
# Training-step benchmark (issue 5): UMed and a plain PyTorch + transformers loop on the same
# ~26M-parameter LLaVA, weights and batch (umed writes them, the peer reads them), back to back,
# with the same arguments; then the ratios and the load average. Needs .venv with torch +
# transformers (see README).
#   bash bench/sft_step.sh [--batch 8] [--length 256] [--answer-fraction 0.3] [--steps 20]
#                          [--warmup 3] [--threads 2] [--dir DIR] [--repeats 1] [--phases]
# Environment: SCRATCH (SwiftPM scratch path, default .build), UMED (a umed binary: skips the
# build), PYTHON (default .venv/bin/python).
set -euo pipefail
batch=8 length=256 fraction=0.3 steps=20 warmup=3 threads=2 dir=/tmp/umed-bench-sft repeats=1 phases=
while [ $# -gt 0 ]; do
  case $1 in
    --batch) batch=$2; shift 2 ;;
    --length) length=$2; shift 2 ;;
    --answer-fraction) fraction=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --phases) phases=--phases; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-.venv/bin/python}
if [ -z "${UMED:-}" ]; then
  scratch=${SCRATCH:-.build}
  swift build -c release --product umed --scratch-path "$scratch" >/dev/null
  UMED=$scratch/release/umed
fi
for run in $(seq 1 "$repeats"); do
  echo "== run $run: $(uptime)"
  umed=$("$UMED" bench sft-step --batch "$batch" --length "$length" --answer-fraction "$fraction" \
    --steps "$steps" --warmup "$warmup" --threads "$threads" --write-dir "$dir" $phases)
  peer=$("$python" bench/peer_sft_step.py --dir "$dir" --steps "$steps" --warmup "$warmup" --threads "$threads" $phases)
  echo "umed: $umed"
  echo "peer: $peer"
  "$python" - "$umed" "$peer" <<'PY'
import json, sys
umed, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'measure':22} {'peer':>10} {'umed':>10}")
for key in ("mean_ms", "median_ms", "min_ms", "tokens_per_second", "rss_before_loop_mb", "peak_rss_mb"):
    print(f"{key:22} {peer[key]:10.1f} {umed[key]:10.1f}")
for key in sorted(set(umed.get("phase_ms", {})) | set(peer.get("phase_ms", {}))):
    print(f"phase {key:16} {peer.get('phase_ms', {}).get(key, float('nan')):10.1f} {umed.get('phase_ms', {}).get(key, float('nan')):10.1f}")
print(f"speed-up (peer mean / umed mean): {peer['mean_ms'] / umed['mean_ms']:.2f}x   (median: {peer['median_ms'] / umed['median_ms']:.2f}x; target >= 1.5x)")
print(f"peak RSS umed / peer: {umed['peak_rss_mb'] / peer['peak_rss_mb']:.2f}   (target <= 1)")
first = abs(umed["first_loss"] - peer["first_loss"]) / abs(peer["first_loss"])
last = abs(umed["last_loss"] - peer["last_loss"]) / abs(peer["last_loss"])
print(f"first-step loss umed {umed['first_loss']:.6f} peer {peer['first_loss']:.6f} (relative difference {first:.1e}); "
      f"last {umed['last_loss']:.6f} / {peer['last_loss']:.6f} ({last:.1e})")
print(f"load average during umed {umed['load_average']}, during peer {peer['load_average']}"
      + ("  -- PRELIMINARY (load > 1)" if max(umed["load_average"][0], peer["load_average"][0]) > 1 else ""))
if first > 1e-4:
    sys.exit("first-step losses disagree: the two sides do not do the same work")
PY
done
