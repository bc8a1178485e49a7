#!/usr/bin/env bash
# Generation benchmark: transformers and UMed on the same ~20M-parameter LLaVA (same config,
# weights and prompts), one after the other, then the ratios. Needs .venv with torch +
# transformers (see README) and a release build of umed.
#   bash bench/generate.sh [MODEL_DIR]
set -euo pipefail
dir=${1:-/tmp/umed-bench-llava}
python=${PYTHON:-.venv/bin/python}
swift build -c release --product umed >/dev/null
peer=$("$python" bench/peer_generate.py --out "$dir")
umed=$(.build/release/umed bench generate --model "$dir")
echo "transformers: $peer"
echo "umed:         $umed"
"$python" - "$peer" "$umed" <<'PY'
import json, sys
peer, umed = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'measure':32} {'transformers':>14} {'umed':>10} {'umed/transformers':>18}")
for key in sorted(k for k in umed if k.startswith("tokens_per_second") or k == "prefill_ms"):
    ratio = umed[key] / peer[key] if key != "prefill_ms" else peer[key] / umed[key]
    print(f"{key:32} {peer[key]:14.1f} {umed[key]:10.1f} {ratio:17.2f}x")
print("(prefill: transformers time / umed time; tokens/s: umed / transformers; higher is better for umed)")
PY
