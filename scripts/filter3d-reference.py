#!/usr/bin/env python3
"""Reference for the inline 3-D filter test: the notes' E4 input (5x5x3) and the first
filter of E4 (3x3x3), summed over channels as a CNN convolution does, valid padding
(3x3 output), computed with numpy alone."""
import numpy as np

def read_planes(path):
    blocks, cur = [], []
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line:
            if cur: blocks.append(cur); cur = []
            continue
        cur.append([float(v) for v in line.split()])
    if cur: blocks.append(cur)
    return np.array(blocks)

x = read_planes("images/worked/e4.txt")
w = np.array([[[0, 0, -1], [-1, 0, 0], [-1, -1, -1]],
              [[1, 1, -1], [0, 0, 0], [-1, 1, 1]],
              [[-1, -1, -1], [0, 1, 1], [0, -1, 0]]], dtype=float)
c, h, wd = x.shape
out = np.array([[np.sum(x[:, i:i + 3, j:j + 3] * w) for j in range(wd - 2)] for i in range(h - 2)])
for row in out:
    print(" ".join(str(int(v)) for v in row))

# The fixture of the dump-activations test: a 6x6 RGB PNG (values 0-250, fixed seed) through both
# filters of images/worked/e4.kernel (biases 1 and 0), no padding: 2 maps of 4x4, pixels / 255.
import sys
from PIL import Image
rng = np.random.default_rng(4)
rgb = (rng.integers(0, 26, (6, 6, 3)) * 10).astype(np.uint8)
if "--write" in sys.argv:
    Image.fromarray(rgb, "RGB").save("images/worked/rgb6.png")
w1 = np.array([[[-1, 0, 0], [1, -1, -1], [0, 0, -1]],
               [[-1, 0, 1], [1, -1, 1], [-1, 0, 1]],
               [[-1, -1, -1], [-1, 1, -1], [0, 1, -1]]], dtype=float)
p = rgb.transpose(2, 0, 1) / 255.0
for filt, bias in ((w, 1.0), (w1, 0.0)):
    m = np.array([[np.sum(p[:, i:i + 3, j:j + 3] * filt) + bias for j in range(4)] for i in range(4)])
    print(", ".join(f"{v:.5f}" for v in m.ravel()))
