#!/usr/bin/env python3
"""Writes Fashion-MNIST's test set as an image folder: OUT/test/<class name>/NNNNN.png.

    python3 scripts/make-fashion-folder.py [--idx /usr/share/datasets/fashion-mnist] OUT

NNNNN is the image's index in t10k-images-idx3-ubyte.gz; each PNG is the 28x28 grey image as stored.
The class folders are Fashion-MNIST's class names (its authors' table, the names cnnfilter gives
the IDX labels and models/lenet5-fashion.onnx stores), made safe for a folder name by replacing
every "/" with "-": label 0, "T-shirt/top", goes to OUT/test/T-shirt-top/. cnnfilter matches
a folder to a model's class by the same rule, so `cnnfilter eval MODEL --data OUT` scores these
images exactly as the IDX files.
"""
import argparse
import gzip
import os

import numpy as np
from PIL import Image

# Fashion-MNIST's classes in label order (github.com/zalandoresearch/fashion-mnist, "Labels").
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def folder_name(label):
    return label.replace("/", "-")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if values.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: the header promises {dims}, the file holds {values.size} values")
    return values.reshape(dims)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the folder to write (OUT/test/<class>/…)")
    parser.add_argument("--idx", default="/usr/share/datasets/fashion-mnist", help="the folder with the IDX files")
    args = parser.parse_args()
    images = read_idx(os.path.join(args.idx, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.idx, "t10k-labels-idx1-ubyte.gz"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise SystemExit(f"{args.idx}: {images.shape} images and {labels.shape} labels do not pair up")
    if labels.max() >= len(NAMES):
        raise SystemExit(f"{args.idx}: label {labels.max()} but Fashion-MNIST has {len(NAMES)} classes")
    for name in NAMES:
        os.makedirs(os.path.join(args.out, "test", folder_name(name)), exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image, mode="L").save(os.path.join(args.out, "test", folder_name(NAMES[label]), f"{i:05d}.png"))
    counts = np.bincount(labels, minlength=len(NAMES))
    print(f"wrote {len(labels)} images to {os.path.join(args.out, 'test')}: "
          + ", ".join(f"{folder_name(n)} {c}" for n, c in zip(NAMES, counts)))


if __name__ == "__main__":
    main()
