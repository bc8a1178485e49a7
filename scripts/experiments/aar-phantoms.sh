#!/usr/bin/env bash
# Stage-2 experiments on phantoms (issue 6; RESULTS.md): from one Stage-1 model, the full AAR run and
# the paper's ablations with the same budget (steps × prompts × answers), then continued SFT for the
# full run's wall time; writes OUT/table.md in the paper's layout (rows = models, columns = modalities + Avg).
#   scripts/experiments/aar-phantoms.sh STAGE1_MODEL_DIR OUT_DIR [STEPS] [SEED]
# STAGE1_MODEL_DIR: <run>/model of `umed train sft --config configs/sft-phantoms-tiny.yaml`.
set -euo pipefail
cd "$(dirname "$0")/../.."
UMED=${UMED:-.build/release/umed}
base=${1:?Stage-1 model directory}
out=${2:?output directory}
steps=${3:-300}
seed=${4:-0}
mkdir -p "$out"

aar() {
  local name=$1; shift
  [ -f "$out/$name/model/model.safetensors" ] && { echo "$name: done"; return; }
  echo "== $name ($*)"
  "$UMED" train aar --config configs/aar-phantoms-tiny.yaml --set model.base="$base" --set output.dir="$out/$name" \
    --set training.max_steps="$steps" --set training.seed="$seed" --set training.time_limit_seconds=~ \
    --set checkpoint.every=0 "$@" 2> "$out/$name.log"
}
aar aar-full --set evaluation.at_start=true
aar relevance-only --set rewards=relevance
aar without-localization --set rewards=relevance,vision
aar without-vision --set rewards=relevance,localization

# Continued SFT for the full AAR run's training wall time, at Stage 1's final learning rate, on fresh phantoms.
seconds=$(python3 -c 'import json,sys; print(int([json.loads(l) for l in open(sys.argv[1]) if "\"finished\"" in l][-1]["seconds"]))' "$out/aar-full/metrics.jsonl")
if [ ! -f "$out/sft-continued/model/model.safetensors" ]; then
  echo "== sft-continued ($seconds s)"
  "$UMED" train sft --config configs/sft-phantoms-tiny.yaml --set model.base="$base" --set model.preset=~ \
    --set data.phantoms.seed=2 --set training.max_steps=1000000 --set training.time_limit_seconds="$seconds" \
    --set training.learning_rate=2.0e-4 --set training.warmup_steps=0 --set training.schedule=constant \
    --set training.min_learning_rate_ratio=0 --set training.seed="$seed" --set output.dir="$out/sft-continued" \
    --set evaluation.every=0 --set evaluation.generate=300 --set checkpoint.every=0 2> "$out/sft-continued.log"
fi
python3 scripts/experiments/results_table.py "$out" | tee "$out/table.md"
