#!/usr/bin/env bash
# Stage 1 on phantoms for a fixed number of steps, then umed eval on 300 evaluation phantoms drawn
# with the same difficulty from another seed; prints the targets of issue 15 (diagnosis accuracy,
# mean IoU, "no abnormality" recall, distinct box sets on abnormal images). RESULTS.md cites it.
#   scripts/experiments/stage1-phantoms.sh NAME STEPS [--set key=value ...]
# Environment: OUT (default /tmp/umed-stage1), EVAL_SEED (1), DIFFICULTY (demo),
#   TEMPLATES (configs/templates/phantoms-concise), CONFIG (configs/sft-phantoms-tiny.yaml).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
umed=${UMED:-$root/.build/release/umed}
name=$1 steps=$2
shift 2
out=${OUT:-/tmp/umed-stage1} seed=${EVAL_SEED:-1} difficulty=${DIFFICULTY:-demo}
templates=${TEMPLATES:-$root/configs/templates/phantoms-concise} config=${CONFIG:-$root/configs/sft-phantoms-tiny.yaml}
evaluation="$out/eval-seed$seed-$difficulty-$(basename "$templates")"
mkdir -p "$out"
if [[ ! -f "$evaluation/mau.jsonl" ]]; then
  "$umed" phantoms --count 300 --seed "$seed" --out "$evaluation" --difficulty "$difficulty" > /dev/null 2>&1
  rm "$evaluation/mau.jsonl"
  "$umed" mau build --records "$evaluation/records.jsonl" --root "$evaluation" --out "$evaluation/mau.jsonl" \
    --generator template --seed "$seed" --templates "$templates" > /dev/null
fi
rm -rf "${out:?}/$name" "$out/$name-eval"
start=$(date +%s)
"$umed" train sft --config "$config" --set data.phantoms.difficulty="$difficulty" --set data.phantoms.templates="$templates" \
  --set training.max_steps="$steps" --set training.time_limit_seconds=~ --set output.dir="$out/$name" \
  --set evaluation.every=0 --set evaluation.at_start=false --set evaluation.generate=0 --set evaluation.batches=1 \
  --set checkpoint.every=200 "$@" > "$out/$name.log" 2>&1
seconds=$(( $(date +%s) - start ))
"$umed" eval --model "$out/$name/model" --data "$evaluation/mau.jsonl" --out "$out/$name-eval" --split all \
  --columns modality --max-new-tokens 80 --batch 16 --gallery 8 > "$out/$name-eval.log" 2>&1
python3 - "$out/$name-eval" "$name" "$steps" "$seconds" <<'PY'
import collections, json, sys
folder, name, steps, seconds = sys.argv[1:]
overall = json.load(open(f"{folder}/metrics.json"))["overall"]
answers = [json.loads(line) for line in open(f"{folder}/answers.jsonl")]
abnormal = [a for a in answers if a.get("truth")]
box_sets = collections.Counter(json.dumps(a.get("predicted")) for a in abnormal)
distinct = sum(1 for a in abnormal if box_sets[json.dumps(a.get("predicted"))] == 1)
print(f"{name}: {steps} steps in {seconds} s; accuracy {overall['diagnosis_accuracy']:.3f}, mean IoU {overall['mean_iou']:.3f}, "
      f"normal recall {overall.get('normal_recall') or 0:.2f}, box sets {len(box_sets)} on {len(abnormal)} abnormal images "
      f"({distinct / max(len(abnormal), 1):.0%} unique)")
PY
