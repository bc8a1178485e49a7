"""Peer of `umed bench png`: decode the same PNG files with Pillow, one thread, from bytes in memory.

    .build/release/umed bench png --write-dir /tmp/umed-png-bench
    .venv/bin/python bench/peer_png_decode.py --dir /tmp/umed-png-bench

Files are grouped by kind (gray8-*, rgb8-*, gray16-*); each kind is decoded `--passes` times and
the fastest pass is reported, with the same fields as the Swift command.
"""
import argparse
import glob
import io
import json
import os
import time

import PIL
from PIL import Image


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    results = {"pillow": PIL.__version__, "passes": args.passes}
    for kind in ("gray8", "rgb8", "gray16"):
        paths = sorted(glob.glob(os.path.join(args.dir, kind + "-*.png")))
        if not paths:
            raise SystemExit(f"no {kind}-*.png in {args.dir}")
        files = [open(path, "rb").read() for path in paths]
        best, pixel_bytes = float("inf"), 0
        for _ in range(args.passes):
            start = time.perf_counter()
            decoded = 0
            for data in files:
                image = Image.open(io.BytesIO(data))
                image.load()
                depth = 2 if image.mode.startswith("I;16") else 1
                decoded += image.width * image.height * len(image.getbands()) * depth
            best = min(best, time.perf_counter() - start)
            pixel_bytes = decoded
        file_bytes = sum(len(data) for data in files)
        results[kind] = {
            "images_per_second": len(files) / best,
            "decoded_mb_per_second": pixel_bytes / best / 1e6,
            "png_mb_per_second": file_bytes / best / 1e6,
            "mean_png_bytes": file_bytes // len(files),
            "mode": Image.open(io.BytesIO(files[0])).mode,
        }
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
