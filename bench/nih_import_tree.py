#!/usr/bin/env python3
"""Writes an NIH ChestX-ray14-format tree for benchmarking `umed mau import --source nih`.

BBox_List_2017.csv (with the real header quirk and trailing empty columns), Data_Entry_2017.csv
and images_001..012/images/*.png. Every image is a hard link to one real 1024x1024 gray PNG, so
the importer opens and reads a real PNG header per image. Standard library only.

    python3 bench/nih_import_tree.py --out /tmp/umed-nih-bench --boxes 20000
    time .build/release/umed mau import --source nih --root /tmp/umed-nih-bench --out /tmp/nih.jsonl
"""
import argparse, os, random, struct, zlib

LABELS = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltrate", "Mass", "Nodule", "Pneumonia", "Pneumothorax"]


def png_gray(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([40]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--boxes", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    source = os.path.join(args.out, "template.png")
    with open(source, "wb") as handle:
        handle.write(png_gray(1024, 1024))
    images = int(args.boxes * 0.9)
    names = []
    for index in range(images):
        patient = index // 3
        name = "%08d_%03d.png" % (patient, index % 3)
        folder = os.path.join(args.out, "images_%03d" % (index % 12 + 1), "images")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, name)
        if not os.path.exists(target):
            os.link(source, target)
        names.append((name, patient))
    with open(os.path.join(args.out, "BBox_List_2017.csv"), "w") as handle:
        handle.write("Image Index,Finding Label,Bbox [x,y,w,h],,,\n")
        for box in range(args.boxes):
            name, _ = names[box % images]
            x, y = rng.uniform(0, 900), rng.uniform(0, 900)
            w, h = rng.uniform(10, 120), rng.uniform(10, 120)
            handle.write("%s,%s,%r,%r,%r,%r,,,\n" % (name, rng.choice(LABELS), x, y, w, h))
    with open(os.path.join(args.out, "Data_Entry_2017.csv"), "w") as handle:
        handle.write("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
                     "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\n")
        for name, patient in names:
            handle.write("%s,Mass,0,%d,50,M,PA,2992,2991,0.143,0.143\n" % (name, patient))


if __name__ == "__main__":
    main()
