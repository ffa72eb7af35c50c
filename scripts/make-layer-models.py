#!/usr/bin/env python3
"""One-layer ONNX models for timing single convolutions with `cnnfilter bench`.

    pip install onnx numpy
    python3 scripts/make-layer-models.py DIR

Writes into DIR (random weights, numpy default_rng(0)):
  depthwise_960x7x7.onnx   MobileNetV2's last depthwise layer: 960 channels, 3x3, pads 1, on 7x7
  pointwise_160to960_7x7.onnx   one of its 1x1 expansions: 160 -> 960 channels on 7x7
  chain_100x1x1.onnx       100 1x1 convolutions 16 -> 16 on 4x4 in a row (the runner's per-layer overhead)

docs/performance.md times models like these with `cnnfilter bench MODEL --runs 201`.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(path, nodes, x_shape, y_name, y_shape, weights):
    graph = helper.make_graph(nodes, os.path.basename(path),
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, y_shape)],
                              [numpy_helper.from_array(w, n) for n, w in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((960, 1, 3, 3)).astype(np.float32)
    save(os.path.join(folder, "depthwise_960x7x7.onnx"),
         [helper.make_node("Conv", ["x", "W"], ["y"], group=960, pads=[1, 1, 1, 1], kernel_shape=[3, 3])],
         [1, 960, 7, 7], "y", [1, 960, 7, 7], {"W": w})
    w = (rng.standard_normal((960, 160, 1, 1)) * 0.1).astype(np.float32)
    save(os.path.join(folder, "pointwise_160to960_7x7.onnx"),
         [helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[1, 1])],
         [1, 160, 7, 7], "y", [1, 960, 7, 7], {"W": w})
    nodes, weights, previous = [], {}, "x"
    for i in range(100):
        weights[f"W{i}"] = (rng.standard_normal((16, 16, 1, 1)) * 0.1).astype(np.float32)
        nodes.append(helper.make_node("Conv", [previous, f"W{i}"], [f"c{i}"], kernel_shape=[1, 1]))
        previous = f"c{i}"
    save(os.path.join(folder, "chain_100x1x1.onnx"), nodes, [1, 16, 4, 4], previous, [1, 16, 4, 4], weights)
    print(f"wrote 3 models to {folder}")


if __name__ == "__main__":
    main()
