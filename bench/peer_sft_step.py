"""Training-step peer for `umed bench sft-step` (issue 5): the loop a user writes with PyTorch +
transformers, on the model and batch that `umed bench sft-step --write-dir DIR` wrote.

Run by hand (needs torch + transformers), from the repository root, after the umed side:
    .venv/bin/python bench/peer_sft_step.py --dir /tmp/umed-bench-sft --threads 2 --warmup 3 --steps 20
bench/sft_step.sh runs both sides with the same arguments. Prints one JSON object with the same
keys as the umed side: ms per step (mean/median), tokens/s, losses, RSS before the loop and peak
RSS (ru_maxrss), load average.

The step: outputs = model(input_ids, pixel_values, attention_mask, labels) (transformers' loss: mean
cross-entropy over the non-ignored shifted labels, from the full [b, t, vocabulary] logits) →
backward → clip_grad_norm_ → AdamW (torch defaults but lr) → zero_grad.
"""
import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "fixtures"))
import torchvision_shim  # noqa: F401,E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import LlavaForConditionalGeneration  # noqa: E402


def resident_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/umed-bench-sft", help="written by umed bench sft-step --write-dir")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-grad-norm", type=float, default=1.0)
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"],
                        help="transformers' attention implementation (sdpa is its default)")
    parser.add_argument("--phases", action="store_true", help="also time forward+loss, backward, clip, optimizer, zero_grad")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    model, info = LlavaForConditionalGeneration.from_pretrained(
        args.dir, dtype=torch.float32, attn_implementation=args.attention, output_loading_info=True)
    problems = {key: value for key, value in info.items() if value}
    assert not problems, f"checkpoint does not match the model: {problems}"
    model.train()
    batch = load_file(os.path.join(args.dir, "batch.safetensors"))
    input_ids, labels = batch["input_ids"], batch["labels"]
    attention_mask, pixel_values = batch["attention_mask"], batch["pixel_values"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    rss_before = resident_mb("VmRSS")

    phases = {}

    def timed(name, body):
        if not args.phases:
            return body()
        start = time.perf_counter()
        result = body()
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - start
        return result

    losses, seconds = [], []
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            phases.clear()
        start = time.perf_counter()
        outputs = timed("forward+loss", lambda: model(
            input_ids=input_ids, pixel_values=pixel_values, attention_mask=attention_mask, labels=labels))
        timed("backward", lambda: outputs.loss.backward())
        timed("clip", lambda: torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm))
        timed("optimizer", lambda: optimizer.step())
        timed("zero_grad", lambda: optimizer.zero_grad())
        losses.append(outputs.loss.item())
        del outputs
        if step >= args.warmup:
            seconds.append(time.perf_counter() - start)

    ordered = sorted(seconds)
    mean = sum(seconds) / len(seconds)
    b, t = input_ids.shape
    results = {
        "side": "peer", "parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "attention": args.attention, "batch": b, "length": t,
        "warmup": args.warmup, "steps": args.steps,
        "mean_ms": mean * 1e3, "median_ms": ordered[len(ordered) // 2] * 1e3, "min_ms": ordered[0] * 1e3,
        "max_ms": ordered[-1] * 1e3, "tokens_per_second": b * t / mean,
        "first_loss": losses[0], "last_loss": losses[-1], "losses": losses,
        "rss_before_loop_mb": rss_before, "rss_after_loop_mb": resident_mb("VmRSS"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": list(os.getloadavg()),
    }
    if args.phases:
        results["phase_ms"] = {name: value / args.steps * 1e3 for name, value in phases.items()}
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
