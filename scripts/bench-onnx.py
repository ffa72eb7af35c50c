#!/usr/bin/env python3
"""cnnfilter's ONNX runtime against onnxruntime on a ResNet-like block.

    pip install onnx onnxruntime numpy && python3 scripts/bench-onnx.py [path/to/cnnfilter]

Makes /tmp/cnnfilter-conv64.onnx (four 64->64 3x3 convolutions, pads 1, each
followed by ReLU, on 1x64x56x56: 462 M multiply-adds, random weights), times
onnxruntime (CPU, 2 threads, median of 9 runs after 3 warm-ups, three times)
and `cnnfilter bench MODEL --runs 9 --json` (three times) in the same run, and
prints both medians and the ratio.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/release/cnnfilter")
path = "/tmp/cnnfilter-conv64.onnx"
rng = np.random.default_rng(0)
nodes, inits, prev = [], [], "X"
for i in range(4):
    inits.append(numpy_helper.from_array((rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32), f"W{i}"))
    nodes.append(helper.make_node("Conv", [prev, f"W{i}"], [f"c{i}"], name=f"conv{i}", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"))
    prev = f"r{i}"
graph = helper.make_graph(nodes, "conv64", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64, 56, 56])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, path)

options = ort.SessionOptions()
options.intra_op_num_threads = 2
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
x = np.zeros((1, 64, 56, 56), np.float32)
for _ in range(3):
    session.run(None, {"X": x})
ort_ms = []
for _ in range(3):
    times = []
    for _ in range(9):
        t = time.perf_counter()
        session.run(None, {"X": x})
        times.append((time.perf_counter() - t) * 1000)
    ort_ms.append(sorted(times)[4])
ours = [json.loads(subprocess.run([binary, "bench", path, "--runs", "9", "--json"], capture_output=True, check=True,
                                  text=True).stdout)["ms"] for _ in range(3)]
o, c = sorted(ort_ms)[1], sorted(ours)[1]
print(f"conv64 (462 M multiply-adds): onnxruntime {o:.2f} ms, cnnfilter {c:.2f} ms, ratio {c / o:.2f}")
