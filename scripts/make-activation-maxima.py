#!/usr/bin/env python3
"""The highest mean activation each convolution channel of the bundled Fashion-MNIST models reaches
on the 10,000 Fashion-MNIST test images, with numpy and onnxruntime (not cnnfilter).

`cnnfilter visualize` must make pictures that raise a channel's mean activation well above what any
real image does; the tests compare against these numbers, so `make test` does not need the data set.
For every Conv node, the value it outputs (before any Relu: the value `--layer NAME` names) is added
to the graph's outputs; an image's activation of channel c is the mean of that value over the
channel's H x W positions; the fixture keeps, per channel, the largest over the test set and the
index of the image that reached it.  The images are the IDX bytes divided by 255, N x 1 x 28 x 28,
as cnnfilter feeds them in training (the models standardise inside the graph).

    python3 scripts/make-activation-maxima.py [/usr/share/datasets/fashion-mnist]

writes Tests/ExplainTests/Fixtures/fashion-activation-maxima.json (made with numpy 2.4.6, onnx 1.23.2,
onnxruntime 1.32.0; about 20 s on 2 cores).
"""

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["models/lenet5-fashion.onnx", "models/fashion-resnet.onnx"]
OUT = ROOT / "Tests/ExplainTests/Fixtures/fashion-activation-maxima.json"


def test_images(folder):
    with gzip.open(Path(folder) / "t10k-images-idx3-ubyte.gz") as f:
        data = f.read()
    magic, n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in range(0, 16, 4))
    assert magic == 2051 and (n, h, w) == (10000, 28, 28), (magic, n, h, w)
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    return pixels.astype(np.float32) / 255


def maxima(model_path, images):
    proto = onnx.load(ROOT / model_path)
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    del proto.graph.output[:]
    for n in convs:
        proto.graph.output.append(onnx.helper.make_empty_tensor_value_info(n.output[0]))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = proto.graph.input[0].name
    means = {n.output[0]: [] for n in convs}
    for start in range(0, len(images), 500):
        outs = session.run([n.output[0] for n in convs], {name: images[start:start + 500]})
        for n, o in zip(convs, outs):
            means[n.output[0]].append(o.mean(axis=(2, 3)))
    layers = {}
    for n in convs:
        m = np.concatenate(means[n.output[0]])  # images x channels
        layers[n.name] = {"value": n.output[0], "channels": int(m.shape[1]),
                          "maximum": [float(v) for v in m.max(axis=0)],
                          "image": [int(i) for i in m.argmax(axis=0)]}
    return {"convolutions": [n.name for n in convs], "layers": layers}


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    images = test_images(folder)
    result = {"images": len(images), "note": "per channel: the largest mean activation over the test images",
              "models": {m: maxima(m, images) for m in MODELS}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for m, r in result["models"].items():
        last = r["convolutions"][-1]
        print(m, "last convolution", last, "channels 0-7:",
              " ".join(f"{v:.3f}" for v in r["layers"][last]["maximum"][:8]))
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes); "
          f"numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")


if __name__ == "__main__":
    main()
