"""Tables in the paper's layout (rows = models, columns = modalities + Avg) from the final
evaluation events of the runs that scripts/experiments/aar-phantoms.sh leaves in OUT.
Usage: python3 scripts/experiments/results_table.py OUT"""
import json
import os
import sys

ROWS = [
    ("Stage 1 (SFT) checkpoint", "aar-full", "start"),
    ("+ continued SFT (same wall time)", "sft-continued", "final"),
    ("+ PPO, relevance only (plain PPO)", "relevance-only", "final"),
    ("+ AAR without localization", "without-localization", "final"),
    ("+ AAR without vision relevance", "without-vision", "final"),
    ("+ AAR (relevance + localization + vision)", "aar-full", "final"),
]


def evaluation(run, which):
    path = os.path.join(sys.argv[1], run, "metrics.jsonl")
    if not os.path.exists(path):
        return None
    events = [json.loads(line) for line in open(path) if line.strip()]
    evaluations = [e for e in events if e.get("event") == "evaluation"]
    if not evaluations:
        return None
    if which == "start":
        starts = [e for e in evaluations if e["step"] == 0]
        return starts[0] if starts else None
    return evaluations[-1]


def table(title, key, overall):
    found = [(name, evaluation(run, which)) for name, run, which in ROWS]
    modalities = sorted({m for _, e in found if e for m in (e.get("by_modality") or {})})
    lines = [f"**{title}**", "", "| Model | " + " | ".join(modalities) + " | Avg | All |",
             "|---|" + "---:|" * (len(modalities) + 2)]
    for name, e in found:
        if e is None:
            lines.append(f"| {name} | " + " | ".join("–" for _ in modalities) + " | – | – |")
            continue
        by = e.get("by_modality") or {}
        values = [by.get(m, {}).get(key) for m in modalities]
        present = [v for v in values if v is not None]
        average = sum(present) / len(present) if present else None
        cells = ["–" if v is None else f"{v:.3f}" for v in values]
        total = e.get(overall)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'–' if average is None else f'{average:.3f}'} | "
                     + ("–" if total is None else f"{total:.3f}") + " |")
    return "\n".join(lines)


print(table("Category accuracy", "category_accuracy", "category_accuracy"))
print()
print(table("Mean IoU (abnormal images)", "mean_iou", "mean_iou"))
