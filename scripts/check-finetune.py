#!/usr/bin/env python3
"""Fine-tuning a PyTorch export from the command line, checked by onnxruntime.

Usage, from anywhere:

    python3 scripts/check-finetune.py [path/to/cnnfilter] [MODEL.onnx | resnet18 | mobilenet_v2 [SIZE]]

MODEL defaults to the residual network PyTorch exported for the gradient
fixtures (Tests/NeuralNetTests/Fixtures/gradients/residual/model.onnx: a stem
convolution, a residual block with batch norm, global average pooling and a
linear layer; 3x8x8 inputs, 5 classes); `make test` runs it so. A torchvision
name instead exports that network with random weights and 5 classes for
SIZE x SIZE inputs (default 112) with the legacy exporter (dynamo=False,
opset 17, batch 8) into the temporary folder first; that needs torch and
torchvision (pip install torch torchvision) and is not part of `make test`. The script writes an image folder of
5 classes (train/ and test/, PNG files made here with numpy and Pillow, each
class a colour and a stripe direction, sized to the model's input), runs

    cnnfilter train --data DIR --arch MODEL --epochs 1 --batch-size 8 -o OUT.onnx

and then checks, with onnxruntime as the reference:

  - the exported model is a valid ONNX model (onnx.checker) with the model's
    own inputs and outputs, and its trained weights differ from MODEL's;
  - `cnnfilter run OUT.onnx --input X.npy` gives onnxruntime's output on the
    same batch within 1e-4 relative (largest difference over largest value).

Prints `ok NAME` or `FAIL NAME: reason` per check and then one line
`N passed, M failed`; exits 1 if anything failed.

    pip install numpy pillow onnx onnxruntime
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
results = []


def check(name, ok, why=""):
    results.append(ok)
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))


def make_folder(root, channels, size, classes, per_class, rng):
    """Each class: its own colour and stripe period, with noise; written as 8-bit PNG."""
    for split, count in (("train", per_class), ("test", max(2, per_class // 4))):
        for c in range(classes):
            folder = root / split / ("class%d" % c)
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                yy, xx = np.mgrid[0:size, 0:size]
                stripes = 0.5 + 0.5 * np.sin((xx if c % 2 else yy) * (c + 1) * 0.7 + rng.uniform(0, 6))
                image = np.stack([stripes * ((c + k) % 3 + 1) / 3 for k in range(channels)], axis=-1)
                image = np.clip(image + rng.normal(0, 0.05, image.shape), 0, 1)
                pixels = (image * 255).round().astype(np.uint8)
                Image.fromarray(pixels[..., 0] if channels == 1 else pixels).save(folder / ("%03d.png" % i))


def export_torchvision(name, size, path):
    import torch
    import torchvision
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None, num_classes=5).eval()
    torch.onnx.export(net, torch.rand(8, 3, size, size), str(path), dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["logits"])


def main():
    binary = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / ".build/debug/cnnfilter"
    exported = tempfile.TemporaryDirectory()
    if len(sys.argv) > 2 and not sys.argv[2].endswith(".onnx"):
        model_path = Path(exported.name) / (sys.argv[2] + ".onnx")
        export_torchvision(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 112, model_path)
    else:
        model_path = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else \
            ROOT / "Tests/NeuralNetTests/Fixtures/gradients/residual/model.onnx"
    original = onnx.load(str(model_path))
    dims = [d.dim_value for d in original.graph.input[0].type.tensor_type.shape.dim]
    channels, size = dims[1], dims[2]
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    classes = session.get_outputs()[0].shape[-1]
    rng = np.random.default_rng(20261202)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_folder(tmp / "data", channels, size, classes, 12, rng)
        out = tmp / "tuned.onnx"
        cmd = [str(binary), "train", "--data", str(tmp / "data"), "--arch", str(model_path), "--epochs", "1",
               "--batch-size", "8", "--seed", "4", "-o", str(out)]
        print("$ " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        check("train exits 0", r.returncode == 0, r.stderr.strip()[-300:])
        if r.returncode != 0:
            return finish()
        print("  " + r.stdout.strip())
        tuned = onnx.load(str(out))
        try:
            onnx.checker.check_model(tuned)
            check("exported model passes onnx.checker", True)
        except Exception as e:  # noqa: BLE001
            check("exported model passes onnx.checker", False, str(e))
        check("same inputs and outputs", [i.name for i in tuned.graph.input] == [i.name for i in original.graph.input]
              and [o.name for o in tuned.graph.output] == [o.name for o in original.graph.output])
        before = {t.name: numpy_helper.to_array(t) for t in original.graph.initializer}
        after = {t.name: numpy_helper.to_array(t) for t in tuned.graph.initializer}
        changed = [n for n in before if n in after and before[n].shape == after[n].shape
                   and not np.array_equal(before[n], after[n])]
        check("trained weights differ from the original", len(changed) > 0, "no initializer changed")
        x = rng.uniform(0, 1, (dims[0] or 1, channels, size, size)).astype(np.float32)
        np.save(tmp / "x.npy", x)
        r = subprocess.run([str(binary), "run", str(out), "--input", str(tmp / "x.npy"), "-o", str(tmp / "y.npy")],
                           capture_output=True, text=True, timeout=600)
        check("cnnfilter run exits 0", r.returncode == 0, r.stderr.strip()[-300:])
        if r.returncode == 0:
            got = np.load(tmp / "y.npy")
            name = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).get_inputs()[0].name
            want = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]
            error = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-6))
            check("cnnfilter run matches onnxruntime on the fine-tuned model (%.2e)" % error,
                  got.shape == want.shape and error <= 1e-4, "relative error %.3e" % error)
    return finish()


def finish():
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
