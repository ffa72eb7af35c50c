#!/usr/bin/env python3
"""Hostile ONNX models for cnnfilter's loader and operators, written with onnx.helper.

Each model is valid protobuf and names real operators but asks for something
that must be refused with one line (never a crash, an overflow trap, or an
allocation of gigabytes): attributes of the wrong length or absurd size,
declared shapes beyond memory, scales that overflow. The cases are the crashes
a mutation fuzzer found in `cnnfilter info` and `cnnfilter run`, rebuilt here
small and on purpose; Tests/CLITests/HostileModelCLITests.swift runs both
commands on each (`run` on NAME.input.npy: ones, each dimension cut to 64) and
expects exit status 1 with one line naming the problem.

The models named unsupported-*, opset-* and gelu-opset17 are sound but ask
for what cnnfilter does not implement (operators, an operator newer than the
model's opset, opsets outside 6 to 21): the same test expects one line naming
every such operator, before any weight is read.

    pip install onnx numpy
    python3 scripts/make-hostile-models.py      # writes Tests/NeuralNetTests/Fixtures/hostile/
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NeuralNetTests", "Fixtures", "hostile")
BIG = 2**63 - 1


def model(name, nodes, inputs, initializers=(), output="y", opset=17, extra_opsets=()):
    """Writes NAME.onnx and, when its input's shape is small, NAME.input.npy (ones) for `cnnfilter run`."""
    graph = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                              list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)] + list(extra_opsets),
                          producer_name="make-hostile-models")
    onnx.save(m, os.path.join(OUT, name + ".onnx"))
    shape = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    np.save(os.path.join(OUT, name + ".input.npy"), np.ones([min(d, 64) for d in shape], np.float32))


def x(shape):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)


def weight(name, shape):
    return numpy_helper.from_array(np.full(shape, 0.1, np.float32), name)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    # 1. A declared input dimension of 2^31: nothing may allocate the declared shape.
    model("input-dim-2e31", [helper.make_node("Relu", ["x"], ["y"])], [x([1, 2**31, 4, 4])])
    # 2. ConvTranspose with strides of the wrong length, and dilations of 2^63 - 1.
    model("convtranspose-strides-length", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2])],
          [x([1, 1, 4, 4])], [weight("w", [1, 1, 3, 3])])
    model("convtranspose-dilations-huge", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], dilations=[BIG, BIG])],
          [x([1, 1, 4, 4])], [weight("w", [1, 1, 3, 3])])
    # 3. AveragePool with three pads for two axes.
    model("averagepool-three-pads", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 1])],
          [x([1, 1, 4, 4])])
    # 4. Resize with INT32 scales (the type is wrong, the values absurd once read as floats).
    scales = numpy_helper.from_array(np.array([1, 1, 2**30, 2**30], np.int32), "scales")
    model("resize-int32-scales", [helper.make_node("Resize", ["x", "", "scales"], ["y"])], [x([1, 1, 4, 4])], [scales])
    # 5. Conv pads of 2^63 - 1.
    model("conv-pads-huge", [helper.make_node("Conv", ["x", "w"], ["y"], pads=[BIG, BIG, BIG, BIG])],
          [x([1, 1, 4, 4])], [weight("w", [1, 1, 3, 3])])
    # 6. LRN with size -1.
    model("lrn-size-negative", [helper.make_node("LRN", ["x"], ["y"], size=-1)], [x([1, 3, 4, 4])])
    # 7. DepthToSpace with blocksize 2^63 - 1.
    model("depthtospace-blocksize-huge", [helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=BIG)], [x([1, 4, 2, 2])])
    # 8. A tiny model whose Pad asks for 2^24 columns on each of 28 rows: 470 million values.
    pads = numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 0, 2**24], np.int64), "pads")
    model("pad-huge", [helper.make_node("Pad", ["x", "pads"], ["y"])], [x([1, 1, 28, 28])], [pads])
    # Models cnnfilter cannot run, which must say so in one line before any weight is read
    # 9. Three operators it does not have (one of another domain), five nodes, and a weight in an external
    #    file that does not exist: the operators are named, all of them, and the file is never opened.
    absent = numpy_helper.from_array(np.zeros([4], np.float32), "k")
    absent.ClearField("raw_data")
    absent.data_location = TensorProto.EXTERNAL
    absent.external_data.add(key="location", value="unsupported-three.absent.data")
    model("unsupported-three", [helper.make_node("TopK", ["x", "k"], ["t", "i"], name="top"),
                                helper.make_node("TopK", ["t", "k"], ["t2", "i2"], name="top2"),
                                helper.make_node("NonZero", ["t2"], ["nz"], name="nonzero"),
                                helper.make_node("FusedConv", ["t2"], ["f"], name="fused", domain="com.microsoft"),
                                helper.make_node("Relu", ["f"], ["y"], name="relu")],
          [x([1, 4])], [absent], extra_opsets=[helper.make_opsetid("com.microsoft", 1)])
    # 10. An operator newer than the model's opset (Gelu is defined from opset 20 on).
    model("gelu-opset17", [helper.make_node("Gelu", ["x"], ["y"], name="gelu")], [x([1, 4])], opset=17)
    # 11. Opsets outside the 6 to 21 cnnfilter implements.
    model("opset-22", [helper.make_node("Relu", ["x"], ["y"])], [x([1, 4])], opset=22)
    model("opset-5", [helper.make_node("Relu", ["x"], ["y"])], [x([1, 4])], opset=5)
    print("wrote", len(os.listdir(OUT)), "models to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
