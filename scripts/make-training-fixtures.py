#!/usr/bin/env python3
"""Tiny data sets for the training tests, written by numpy (not by cnnfilter).

Tests/TrainingTests/Fixtures/shapes/: 12x12 grey images of four classes —
a horizontal bar, a vertical bar, a diagonal and a ring — at random positions
with noise, in the MNIST IDX layout (gzipped), 400 for training and 200 for
testing, plus labels.txt. A network that learns anything gets them right;
one that learns nothing stays near 0.25.

Also a bad-file set (truncated gzip, wrong magic, too few labels) for the
loader's error tests.

Run: python3 scripts/make-training-fixtures.py
"""
import gzip
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures")
rng = np.random.default_rng(20261122)


def pattern(label, size=12):
    img = np.zeros((size, size), np.float32)
    r, c = rng.integers(2, size - 2, 2)
    if label == 0:
        img[r, 1:size - 1] = 1
    elif label == 1:
        img[1:size - 1, c] = 1
    elif label == 2:
        for i in range(size):
            j = i + (c - r)
            if 0 <= j < size:
                img[i, j] = 1
    else:
        yy, xx = np.mgrid[0:size, 0:size]
        d = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2)
        img[np.abs(d - rng.uniform(2.5, 4.5)) < 0.6] = 1
    img += rng.normal(0, 0.15, img.shape)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:  # no timestamp: same bytes each run
        f.write(header + array.tobytes())


def dataset(n):
    labels = np.arange(n) % 4
    rng.shuffle(labels)
    return np.stack([pattern(l) for l in labels]), labels.astype(np.uint8)


out = os.path.join(ROOT, "shapes")
os.makedirs(out, exist_ok=True)
for stem, n in (("train", 400), ("t10k", 200)):
    images, labels = dataset(n)
    idx(os.path.join(out, f"{stem}-images-idx3-ubyte.gz"), images)
    idx(os.path.join(out, f"{stem}-labels-idx1-ubyte.gz"), labels)
with open(os.path.join(out, "labels.txt"), "w") as f:
    f.write("horizontal\nvertical\ndiagonal\nring\n")

bad = os.path.join(ROOT, "bad-idx")
os.makedirs(bad, exist_ok=True)
good = gzip.compress(struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 3, 3) + bytes(18), mtime=0)
with open(os.path.join(bad, "truncated.gz"), "wb") as f:
    f.write(good[: len(good) - 10])
with open(os.path.join(bad, "magic.idx"), "wb") as f:
    f.write(struct.pack(">BBBBI", 1, 2, 8, 1, 2) + bytes(2))
with open(os.path.join(bad, "short.idx"), "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 3, 3) + bytes(17))
with open(os.path.join(bad, "huge.idx"), "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF) + bytes(4))
with open(os.path.join(bad, "float.idx"), "wb") as f:
    f.write(struct.pack(">BBBBI", 0, 0, 0x0D, 1, 1) + bytes(4))
print("wrote", out, "and", bad)

# The exporter against onnxruntime: a small network with every exported layer
# kind, trained one epoch by cnnfilter on the shapes set, and onnxruntime's
# logits for the shapes test images. The test runs the same file through
# cnnfilter's runtime and the trainer; onnxruntime's numbers are the reference.
# Needs the cnnfilter binary (argument 1, default .build/debug/cnnfilter) and onnxruntime.
import subprocess
import sys

cnnfilter = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "cnnfilter")
export = os.path.join(ROOT, "export")
os.makedirs(export, exist_ok=True)
arch = os.path.join(export, "every-layer.arch")
with open(arch, "w") as f:
    f.write("""# every layer kind the exporter writes
conv 6 3 pad=1
bn
leakyrelu 0.1
conv 6 3 pad=2 dilation=2 groups=3
tanh
maxpool 2
conv 8 3 stride=2 pad=1 bias=no
sigmoid
avgpool 3 stride=1 pad=1
dropout 0.2
flatten
linear 16
relu
linear classes
""")
model = os.path.join(export, "every-layer.onnx")
subprocess.run([cnnfilter, "train", "--data", out, "--arch", arch, "--epochs", "1", "--batch-size", "16",
                "--seed", "2", "-o", model, "--log", os.path.join("/tmp", "every-layer.csv"),
                "--checkpoint", os.path.join("/tmp", "every-layer.ckpt")], check=True)
import onnxruntime as ort
with gzip.open(os.path.join(out, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 1, 12, 12).astype(np.float32) / 255
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
logits = session.run(["logits"], {"pixels": images[:32]})[0]
np.save(os.path.join(export, "every-layer.ort-logits.npy"), logits.astype(np.float32))
np.save(os.path.join(export, "every-layer.input.npy"), images[:32])
print("wrote", export, "with onnxruntime", ort.__version__)
