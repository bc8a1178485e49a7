"""Generation benchmark peer: transformers' generate on a ~20M-parameter LLaVA, and the checkpoint
`umed bench generate` runs on — same config, same weights, same prompts.

Run by hand (needs torch + transformers), from the repository root:
    .venv/bin/python bench/peer_generate.py --out /tmp/umed-bench-llava   # writes the model if absent
Prints one JSON object: parameters, prefill latency (batch 1, a 576-patch image prompt), greedy
tokens/s with KV cache at each batch size, and the process's peak RSS. bench/generate.sh runs this and UMed and prints ratios.
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
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration  # noqa: E402

VOCAB = 32000
IMAGE_TOKEN = VOCAB - 1


def config():
    # CLIP ViT at 336 px with 14 px patches: 576 patch tokens, as LLaVA-1.5; small widths.
    vision = CLIPVisionConfig(hidden_size=128, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                              image_size=336, patch_size=14, projection_dim=64)
    text = LlamaConfig(vocab_size=VOCAB, hidden_size=256, intermediate_size=1024, num_hidden_layers=4,
                       num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=2048,
                       bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
    result = LlavaConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN,
                         vision_feature_layer=-2, vision_feature_select_strategy="default",
                         image_seq_length=576)
    result._attn_implementation = "eager"
    return result


def prompt_ids():
    g = torch.Generator().manual_seed(0)
    text = lambda n: torch.randint(3, IMAGE_TOKEN - 1, (n,), generator=g).tolist()  # noqa: E731
    return [1] + text(8) + [IMAGE_TOKEN] * 576 + text(16)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(0)
    if not os.path.exists(os.path.join(args.out, "config.json")):
        LlavaForConditionalGeneration(config()).save_pretrained(args.out)
    model = LlavaForConditionalGeneration.from_pretrained(args.out, attn_implementation="eager").eval()
    ids = prompt_ids()
    pixels = torch.randn(1, 3, 336, 336, generator=torch.Generator().manual_seed(1))
    results = {"parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
               "torch": torch.__version__, "prompt_tokens": len(ids), "new_tokens": args.new_tokens}

    with torch.no_grad():
        input_ids = torch.tensor([ids])
        model(input_ids=input_ids, pixel_values=pixels)  # warm-up
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            model(input_ids=input_ids, pixel_values=pixels, logits_to_keep=1)
            best = min(best, time.perf_counter() - start)
        results["prefill_ms"] = best * 1e3
        for batch in args.batch:
            batch_ids = input_ids.repeat(batch, 1)
            batch_pixels = pixels.repeat(batch, 1, 1, 1)
            best = float("inf")
            for _ in range(args.repeats):
                start = time.perf_counter()
                out = model.generate(input_ids=batch_ids, pixel_values=batch_pixels, max_new_tokens=args.new_tokens,
                                     min_new_tokens=args.new_tokens, do_sample=False, pad_token_id=0)
                best = min(best, time.perf_counter() - start)
                assert out.shape[1] == len(ids) + args.new_tokens
            results[f"tokens_per_second_batch_{batch}"] = batch * args.new_tokens / best
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["load_average"] = list(os.getloadavg())
    print(json.dumps(results))


if __name__ == "__main__":
    main()
