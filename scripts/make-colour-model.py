#!/usr/bin/env python3
"""Make a tiny trained colour CNN whose answer is known, for cnnfilter's colour paths.

Each 16x16 RGB picture is grey noise (the three channels equal) with one 5x5
square of a pure colour, red, green or blue, somewhere in it; the class is the
square's colour.  A small CNN learns this with PyTorch:

    Conv(3->8, 3x3, pad 1) Relu MaxPool(2) Conv(8->8, 3x3, pad 1) Relu
    GlobalAveragePool Flatten Gemm(8->3)

so its channels must tell colours apart; a small L1 penalty on the second
convolution's activations (SPARSITY) keeps each channel quiet where its colour
is not.  Written to
Tests/ExplainTests/Fixtures/colour/ (deleted and rebuilt on every run):

  model.onnx     the trained model (input "input" 1x3x16x16 in [0, 1], output
                 "output" the 3 logits; class names in metadata_props "labels",
                 as cnnfilter's own exports keep them)
  red.png, green.png, blue.png
                 one test picture of each class (8-bit RGB PNG)
  manifest.json  what PyTorch and onnxruntime say: test accuracy (onnxruntime,
                 600 fresh pictures), onnxruntime's logits on each PNG, and for
                 the second convolution's Relu ("conv2_relu" below) the channel
                 that responds most to red: the largest mean activation on red
                 pictures minus the largest of its means on green and blue ones
                 (PyTorch, 600 pictures each), with those three means.

The feature-visualisation test draws that channel and checks that its picture
is red-dominant; the CLI tests use the model as a small colour classifier.

Made with torch 2.15.0 (CPU, one thread), onnx 1.23.2, onnxruntime 1.32.0,
numpy 2.4.6 and pillow.  Deterministic (seeded, one thread).  Rerun from the
repository root (about 10 s):

    pip install torch onnx onnxruntime numpy pillow
    python3 scripts/make-colour-model.py
"""
import io
import json
import os
import shutil
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from PIL import Image

OUT = "Tests/ExplainTests/Fixtures/colour"
CLASSES = ["red", "green", "blue"]
SIDE, SQUARE = 16, 5
SPARSITY = 0.01


def pictures(n, rng, label=None):
    """n pictures (n x 3 x 16 x 16 float32 in [0, 1]) and their classes."""
    labels = rng.integers(0, 3, n) if label is None else np.full(n, label)
    x = np.repeat(rng.uniform(0, 0.3, (n, 1, SIDE, SIDE)), 3, axis=1).astype(np.float32)
    for i, c in enumerate(labels):
        y0, x0 = rng.integers(0, SIDE - SQUARE + 1, 2)
        colour = np.zeros(3, np.float32)
        colour[c] = rng.uniform(0.8, 1.0)
        x[i, :, y0:y0 + SQUARE, x0:x0 + SQUARE] = colour[:, None, None]
    return x, labels.astype(np.int64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 3)

    def maps(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        return torch.relu(self.conv2(x))

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.maps(x), 1), 1))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for epoch in range(30):
        x, y = pictures(512, rng)
        for b in range(0, 512, 64):
            opt.zero_grad()
            xb = torch.from_numpy(x[b:b + 64])
            maps = net.maps(xb)
            logits = net.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(maps, 1), 1))
            # A small L1 penalty on conv2's activations keeps each channel quiet where its colour is not.
            loss = nn.functional.cross_entropy(logits, torch.from_numpy(y[b:b + 64])) + SPARSITY * maps.mean()
            loss.backward()
            opt.step()
    net.eval()

    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, SIDE, SIDE),), f, dynamo=False, opset_version=17,
                          do_constant_folding=False, input_names=["input"], output_names=["output"])
    model = onnx.load_from_string(f.getvalue())
    entry = model.metadata_props.add()
    entry.key, entry.value = "labels", "\n".join(CLASSES)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])

    def logits(x):
        return np.concatenate([session.run(None, {"input": x[i:i + 1]})[0] for i in range(len(x))])

    tx, ty = pictures(600, rng)
    accuracy = float((logits(tx).argmax(1) == ty).mean())

    # The channel of conv2's Relu that answers red best (PyTorch).
    with torch.no_grad():
        means = [net.maps(torch.from_numpy(pictures(600, rng, label=c)[0])).mean(dim=(0, 2, 3)).numpy()
                 for c in range(3)]
    margin = means[0] - np.maximum(means[1], means[2])
    red = int(margin.argmax())

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    onnx.save(model, f"{OUT}/model.onnx")
    photos = {}
    for c, name in enumerate(CLASSES):
        x, _ = pictures(1, np.random.default_rng(100 + c), label=c)
        pixels = (x[0].transpose(1, 2, 0) * 255).round().astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(f"{OUT}/{name}.png")
        stored = np.asarray(Image.open(f"{OUT}/{name}.png"), np.float32).transpose(2, 0, 1)[None] / 255
        photos[name] = [float(v) for v in logits(stored)[0]]
    relu2 = next(n.output[0] for n in model.graph.node if n.op_type == "Relu" and n.input[0] ==
                 next(m.output[0] for m in model.graph.node if m.op_type == "Conv" and m.input[1] == "conv2.weight"))
    manifest = {
        "classes": CLASSES,
        "test_accuracy_onnxruntime": accuracy,
        "logits_onnxruntime": photos,
        "conv2_relu": relu2,
        "red_channel": red,
        "red_channel_means": {name: float(means[c][red]) for c, name in enumerate(CLASSES)},
    }
    with open(f"{OUT}/manifest.json", "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
        out.write("\n")
    print(json.dumps(manifest, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
