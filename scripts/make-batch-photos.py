#!/usr/bin/env python3
"""Makes N photos of several sizes from the bundled images/ (random crops, scaled), for batch runs.

    python3 scripts/make-batch-photos.py OUT_DIR [--count 2000] [--sizes 320x240,640x480,1024x768,1920x1080]
                                        [--formats jpg,png] [--per-dir 100] [--seed 1]

Photos go into OUT_DIR/dNN/pNNNNN.EXT, at most --per-dir a directory, and their
paths (relative to OUT_DIR) into OUT_DIR/list.txt, one a line. The same
arguments make the same files, byte for byte, with the same numpy and Pillow.
Needs numpy and Pillow.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

SOURCES = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "testcard.png"]


def sizes(text):
    out = []
    for part in text.split(","):
        w, _, h = part.partition("x")
        if not (w.isdigit() and h.isdigit()) or int(w) < 1 or int(h) < 1:
            raise argparse.ArgumentTypeError(f"'{part}': expected WxH, such as 640x480")
        out.append((int(w), int(h)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--sizes", type=sizes, default=sizes("320x240,640x480,1024x768,1920x1080"))
    p.add_argument("--formats", default="jpg,png", help="extensions used in turn: jpg, png")
    p.add_argument("--per-dir", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    formats = a.formats.split(",")
    if a.count < 1 or a.per_dir < 1 or any(f not in ("jpg", "png") for f in formats):
        sys.exit("make-batch-photos.py: --count and --per-dir must be positive, --formats jpg and/or png")

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images")
    pictures = [Image.open(os.path.join(here, name)).convert("RGB") for name in SOURCES]
    rng = np.random.default_rng(a.seed)
    names = []
    for i in range(a.count):
        src = pictures[i % len(pictures)]
        w, h = a.sizes[(i // len(pictures)) % len(a.sizes)]
        # A crop with the target's aspect ratio, 40% to 100% of the source's extent, anywhere in it.
        scale = rng.uniform(0.4, 1.0)
        cw = max(1, int(min(src.width, src.height * w / h) * scale))
        ch = max(1, min(src.height, round(cw * h / w)))
        x = int(rng.integers(0, src.width - cw + 1))
        y = int(rng.integers(0, src.height - ch + 1))
        photo = src.crop((x, y, x + cw, y + ch)).resize((w, h), Image.Resampling.BICUBIC)
        if rng.random() < 0.5:
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        ext = formats[i % len(formats)]
        rel = os.path.join(f"d{i // a.per_dir:02d}", f"p{i:05d}.{ext}")
        path = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if ext == "jpg":
            photo.save(path, quality=90)
        else:
            photo.save(path, compress_level=6)
        names.append(rel)
    with open(os.path.join(a.out, "list.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    print(f"make-batch-photos.py: {a.count} photos in {a.out}/ (list: {a.out}/list.txt)")


if __name__ == "__main__":
    main()
