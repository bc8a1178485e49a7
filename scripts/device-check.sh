#!/usr/bin/env bash
# The GPU check of a CUDA build, for whoever is lent a GPU machine. Two halves:
#
#   scripts/device-check.sh prepare    here, on a machine with Swift (no GPU needed): builds umed
#                                      against the CUDA torch the GPU machine has (TORCH_VERSION,
#                                      default 2.11.0 — `python3 -c 'import torch; print(torch.__version__)'`
#                                      there) with `make cuda`, and packs the stripped binary and the Swift
#                                      runtime it needs into .device/umed-cuda.tar.xz (git-ignored; carry
#                                      .device to the GPU machine)
#   scripts/device-check.sh run        there: unpacks it, loads libtorch from that machine's torch, and
#                                      runs — each step with its own time limit, going on after a failure —
#                                      1. umed doctor and umed doctor --check-device cuda (ops, a tiny
#                                         LLaVA's logits and greedy generation against the CPU, a bf16
#                                         training step under autocast with checkpointing);
#                                      2. a tiny Stage 1 (4 steps) and Stage 2 (2 PPO steps) on cuda in bf16;
#                                      3. umed bench sft-step for the 1.4B LLaVA (full) and the 7B LLaVA
#                                         (LoRA r=64) in bf16: tokens/s, MFU, GPU memory;
#                                      4. umed bench ppo-step on a 1.4B LLaVA made by a 1-step Stage 1
#                                         (and on the 7B with LoRA when the time left allows);
#                                      and writes $OUT/summary.md (every step's status and numbers) and the
#                                      JSON of each benchmark beside it. DEVICE=cpu runs the same flow on the
#                                      CPU with tiny sizes (a dry run of the script, not of CUDA).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=${1:-}
pack="$root/.device/umed-cuda.tar.xz"

prepare() {
  set -e
  mkdir -p .device
  grep -qxF '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
  TORCH_VERSION=${TORCH_VERSION:-2.11.0} bash scripts/cuda.sh
  local staging=.device/staging
  rm -rf "$staging" && mkdir -p "$staging/lib"
  cp .build-cuda/release/umed "$staging/umed"
  strip "$staging/umed"
  # Every library the binary loads but a GPU machine's image may lack or hold in another version — the
  # Swift runtime and Foundation, libpng, libjpeg, libxml2 and its ICU — not libtorch, CUDA and NCCL (the
  # GPU machine's torch brings them) nor glibc, libstdc++, zlib and lzma (every Linux has them).
  ldd .build-cuda/release/umed | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
    | grep -Ev '/(libtorch|libc10|libcaffe2)|/nvidia/|/lib(c|m|pthread|rt|dl|util|gcc_s|stdc\+\+|z|lzma)\.so' \
    | while read -r library; do cp -L "$library" "$staging/lib/"; done
  cp -R configs "$staging/configs"
  tar -C "$staging" -cJf "$pack" .
  rm -rf "$staging"
  echo "device-check: packed $(du -h "$pack" | cut -f1) in $pack; carry .device and run: bash scripts/device-check.sh run"
}

run() {
  local out=${OUT:-$root/.device/out}
  local device=${DEVICE:-cuda}
  local budget=${BUDGET_SECONDS:-540}   # stop starting steps past this many seconds
  local began=$SECONDS
  mkdir -p "$out"
  local summary="$out/summary.md" work=/tmp/umed-device-check
  rm -rf "$work" && mkdir -p "$work"
  local umed
  if [[ "$device" == cpu ]]; then
    umed=${UMED:-$root/.build/release/umed}
  else
    [[ -f "$pack" ]] || { echo "error: no $pack: run 'scripts/device-check.sh prepare' on a machine with Swift and carry .device" >&2; exit 1; }
    tar -C "$work" -xJf "$pack"
    local torch_lib
    torch_lib=$(python3 -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
    export LD_LIBRARY_PATH="$torch_lib:$work/lib:${LD_LIBRARY_PATH:-}"
    umed="$work/umed"
    export UMED_RESOURCES="$work"
  fi
  {
    echo "# device check — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo '```'
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
    echo '```'
    echo
    echo "| step | status | seconds |"
    echo "|---|---|---|"
  } > "$summary"
  step() {  # step NAME LIMIT_SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    if (( SECONDS - began > budget )); then
      echo "| $name | skipped (time budget) | |" >> "$summary"
      return
    fi
    local start=$SECONDS status
    echo "== $name" >&2
    timeout "$limit" "$@" > "$out/$name.log" 2>&1
    status=$?
    echo "| $name | $([[ $status == 0 ]] && echo ok || echo "FAILED ($status)") | $((SECONDS - start)) |" >> "$summary"
    tail -n 40 "$out/$name.log" >&2
  }

  local tiny dtype=bfloat16 sizes1b sizes7b
  [[ "$device" == cpu ]] && dtype=float32
  tiny=(--set model.device="$device" --set model.dtype="$dtype" --set data.phantoms.size=64 --set evaluation.every=0
        --set evaluation.generate=2 --set evaluation.batches=1 --set checkpoint.every=0)
  step doctor 60 "$umed" doctor
  step check-device 120 "$umed" doctor --check-device "$device"
  step stage1-tiny 180 "$umed" train sft --config configs/sft-phantoms-tiny.yaml "${tiny[@]}" \
    --set model.base=~ --set model.preset=umed-tiny --set training.max_steps=4 --set training.batch_size=4 \
    --set model.gradient_checkpointing=true --set output.dir="$work/stage1-tiny"
  step stage2-tiny 180 "$umed" train aar --config configs/aar-phantoms-tiny.yaml "${tiny[@]}" \
    --set model.base="$work/stage1-tiny/model" --set training.max_steps=2 --set rollout.prompts=2 \
    --set rollout.answers_per_prompt=2 --set ppo.minibatch_size=4 --set output.dir="$work/stage2-tiny"

  if [[ "$device" == cpu ]]; then
    sizes1b=(--set "model.tiny={image_size: 64, patch_size: 8, vision_hidden: 64, vision_layers: 2, vision_heads: 2, text_hidden: 64, text_layers: 2, text_heads: 2, intermediate: 128}")
    sizes7b=("${sizes1b[@]}")
    step bench-sft-1b 300 bash -c "'$umed' bench sft-step --model bench --device cpu --steps 2 --warmup 1 --batch 2 --length 128 > '$out/bench-sft-1b.json'"
    step bench-sft-7b 300 bash -c "'$umed' bench sft-step --model bench --device cpu --lora-rank 8 --steps 2 --warmup 1 --batch 2 --length 128 > '$out/bench-sft-7b.json'"
  else
    sizes1b=(--set "model.tiny={image_size: 336, patch_size: 14, vision_hidden: 1024, vision_layers: 24, vision_heads: 16, text_hidden: 2048, text_layers: 22, text_heads: 32, intermediate: 5632}")
    sizes7b=(--set "model.tiny={image_size: 336, patch_size: 14, vision_hidden: 1024, vision_layers: 24, vision_heads: 16, text_hidden: 4096, text_layers: 32, text_heads: 32, intermediate: 11008}")
    step bench-sft-1b 300 bash -c "'$umed' bench sft-step --model 1b --device cuda --dtype bfloat16 --batch 8 --length 1024 --steps 10 --warmup 3 > '$out/bench-sft-1b.json'"
    step bench-sft-7b 420 bash -c "'$umed' bench sft-step --model 7b --device cuda --dtype bfloat16 --batch 8 --length 1024 --steps 5 --warmup 2 --gradient-checkpointing > '$out/bench-sft-7b.json'"
  fi
  # Stage 2 throughput: a 1-step Stage 1 of the model's size (random weights and a phantom tokenizer)
  # is the start point; then PPO with LoRA on the decoder, as configs/aar-llava-med-lora.yaml trains.
  local ppo=(--set "model.device=$device" --set "model.dtype=$dtype" --set data.phantoms.size=336 --set rollout.prompts=8
             --set rollout.answers_per_prompt=4 --set rollout.max_new_tokens=64 --set ppo.minibatch_size=8 --set ppo.epochs=1
             --set lora.enabled=true --set lora.rank=64 --set lora.alpha=128 --set training.trainable=lm)
  [[ "$device" == cpu ]] && ppo=(--set model.device=cpu --set model.dtype=float32 --set rollout.prompts=2 --set rollout.answers_per_prompt=2
                                 --set rollout.max_new_tokens=8 --set ppo.minibatch_size=4 --set ppo.epochs=1 --set lora.enabled=true
                                 --set lora.rank=4 --set lora.alpha=8 --set training.trainable=lm)
  for size in 1b 7b; do
    local sizes
    if [[ $size == 1b ]]; then sizes=("${sizes1b[@]}"); else sizes=("${sizes7b[@]}"); fi
    # LoRA keeps the 1-step start point light (a 7B AdamW state would not fit beside it); its export merges.
    step "base-$size" 420 "$umed" train sft --config configs/sft-phantoms-tiny.yaml "${tiny[@]}" "${sizes[@]}" \
      --set model.base=~ --set model.preset=umed-tiny --set training.max_steps=1 --set training.batch_size=2 \
      --set lora.enabled=true --set lora.rank=8 --set lora.alpha=16 --set training.trainable=lm \
      --set data.phantoms.size="$([[ $device == cpu ]] && echo 64 || echo 336)" --set output.dir="$work/base-$size"
    step "bench-ppo-$size" 420 bash -c "'$umed' bench ppo-step --steps 3 --warmup 1 --set model.base='$work/base-$size/model' $(printf "'%s' " "${ppo[@]}") > '$out/bench-ppo-$size.json'"
    rm -rf "$work/base-$size"
  done

  {
    echo
    for json in "$out"/bench-*.json; do
      [[ -s "$json" ]] || continue
      echo "## $(basename "$json" .json)"
      python3 - "$json" <<'PY' 2>/dev/null || cat "$json"
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["model", "device", "dtype", "lora_rank", "batch", "length", "mean_ms", "tokens_per_second", "achieved_tflops", "mfu",
        "gpu_peak_allocated_gb", "trainable_parameters", "answers_per_step", "total"]
for k in keys:
    if k in d: print(f"- {k}: {d[k]}")
PY
    done
  } >> "$summary"
  echo "device-check: $summary"
  cat "$summary"
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/device-check.sh prepare|run   (see the top of this file)" >&2; exit 64 ;;
esac
