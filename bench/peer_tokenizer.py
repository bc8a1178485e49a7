"""Peer for `umed bench tokenizer`: the tokenizers library's encoding throughput on the same corpus.

    .venv/bin/python bench/peer_tokenizer.py --tokenizer Tests/UMedTestSupport/Fixtures/tokenizers/qwen2-bpe/tokenizer.json

Without --corpus it generates the same mixed corpus as `umed bench tokenizer` (SplitMix64 stream,
byte for byte; both print its checksum). Reports single-threaded `encode` line by line (the
measurement comparable to umed's; it includes Python's per-call overhead), and `encode_batch` over
all lines for reference (Rust threads; RAYON_NUM_THREADS=1 makes it single-threaded).
"""
import argparse
import os
import time

from tokenizers import Tokenizer

SYLLABLES = ["ra", "di", "o", "lo", "gy", "pul", "mo", "na", "ry", "car", "ci", "no", "ma", "le", "sion",
             "neph", "ro", "li", "thi", "a", "sis", "hep", "at", "ic", "gas", "tro", "en", "ter", "al",
             "ost", "e", "um", "my", "el", "in", "ton", "sil", "ec", "to", "mies", "pro", "ta", "tic"]
ACCENTED = ["café", "naïve", "résumé", "Zürich", "São", "größer", "épanchement", "opacité", "Ångström"]
CJK = ["胸部", "结节", "肺", "日本語", "한국어", "右上葉", "肝脏"]
EMOJI = ["😀", "👍🏽", "❤️", "👨‍👩‍👧", "🫁"]
TERMS = ["nodule", "effusion", "pneumothorax", "cardiomegaly", "X-ray", "CT", "MRI", "lesion", "polyp"]
PUNCTUATION = [",", ".", ";", ":", "!", "?", "'s", ")"]
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        return self.next() % bound

    def pick(self, items):
        return items[self.below(len(items))]


def generate(target_bytes, seed=2026):
    random = SplitMix64(seed)
    lines = []
    size = 0
    while size < target_bytes:
        separator = "\t" if random.below(20) == 0 else " "
        words = []
        for _ in range(5 + random.below(30)):
            kind = random.below(100)
            if kind < 70:
                count = random.below(4) + 1
                word = "".join(random.pick(SYLLABLES) for _ in range(count))
            elif kind < 80:
                word = str(random.below(10_000))
            elif kind < 88:
                word = random.pick(ACCENTED)
            elif kind < 94:
                word = random.pick(CJK)
            elif kind < 97:
                word = random.pick(EMOJI)
            else:
                word = random.pick(TERMS)
            if random.below(10) == 0:
                word += random.pick(PUNCTUATION)
            words.append(word)
        line = separator.join(words) + "\n"
        lines.append(line)
        size += len(line.encode())
    return "".join(lines)


def checksum(text):
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="a tokenizer.json")
    parser.add_argument("--corpus", help="a UTF-8 text file (default: the generated corpus)")
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write-corpus", help="also write the generated corpus to this file")
    args = parser.parse_args()

    start = time.perf_counter()
    tokenizer = Tokenizer.from_file(args.tokenizer)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    load_seconds = time.perf_counter() - start

    if args.corpus:
        with open(args.corpus, encoding="utf-8") as file:
            text = file.read()
    else:
        text = generate(int(args.megabytes * 1_000_000))
        if args.write_corpus:
            with open(args.write_corpus, "w", encoding="utf-8") as file:
                file.write(text)
    lines = text.split("\n")
    megabytes = sum(len(line.encode()) for line in lines) / 1e6
    print(f"tokenizers {__import__('tokenizers').__version__} — {args.tokenizer} "
          f"(vocabulary {tokenizer.get_vocab_size(with_added_tokens=True)}, loaded in {load_seconds:.3f} s)")
    print(f"corpus: {megabytes:.2f} MB in {len(lines)} lines, checksum {checksum(text):016x}")

    passes = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        tokens = sum(len(tokenizer.encode(line, add_special_tokens=False).ids) for line in lines)
        passes.append((time.perf_counter() - start, tokens))
    cold = passes[0]
    warm = min(passes[1:], key=lambda item: item[0]) if len(passes) > 1 else cold
    print(f"encode, 1 thread: cold {megabytes / cold[0]:.2f} MB/s, warm {megabytes / warm[0]:.2f} MB/s "
          f"({warm[1] / warm[0] / 1e6:.2f} M tokens/s, {warm[1]} tokens)")

    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        tokenizer.encode_batch(lines, add_special_tokens=False)
        seconds.append(time.perf_counter() - start)
    threads = os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count()))
    print(f"encode_batch, {threads} threads: best {megabytes / min(seconds):.2f} MB/s")


if __name__ == "__main__":
    main()
