#!/usr/bin/env python3
"""Make the ONNX fixtures for cnnfilter's NeuralNet tests.

Writes small ONNX models (built node by node with onnx.helper, no exporter)
together with their inputs and the outputs that onnxruntime computes for them,
into Tests/NeuralNetTests/Fixtures/onnx/.  onnxruntime is the reference for
every operator: the Swift ONNX runtime is tested against these outputs.  Do not
"fix" a fixture by editing its files: change this script and rerun it.

Made with onnx 1.23.2, onnxruntime 1.32.0 (CPUExecutionProvider, graph
optimizations disabled: ORT_DISABLE_ALL, one thread) and numpy 2.4.6.  Other
versions should give the same files up to float rounding in the outputs.

Rerun from the repository root:

    pip install onnx onnxruntime numpy
    python3 scripts/make-onnx-fixtures.py

The output folder is deleted and rebuilt on every run.  The output is
deterministic: each case draws from its own numpy generator seeded from a CRC
of its name (adding a case does not change the others), no timestamps.

For each case NAME:
  NAME.onnx         the model; weights are initializers, mostly stored as
                    raw_data (onnx.numpy_helper.from_array), a few as float_data
                    (see "initializers" in the manifest), one FLOAT16
                    initializer feeding a Cast(to=FLOAT) (conv_fp16_weight);
                    conv_opset6 is an old-style IR 3 / opset 6 model whose
                    initializers are also listed as graph inputs.
  NAME.input.npy    float32 input (NAME.input0.npy, NAME.input1.npy, ... when
                    the graph has several non-initializer inputs, in graph
                    input order)
  NAME.output.npy   float32, onnxruntime's first graph output
manifest.json lists the cases:
  {"name", "model", "inputs": [files], "output": file, "ops": [op types in
   node order, unique], "opset": N, "ir_version": N, "input_shapes",
   "output_shape", "initializers": {name: "dtype/storage"}, "note"}
and for lenet5 also "shapes" (every named intermediate tensor, from
onnx.shape_inference, checked against onnxruntime) and "params".
"""

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/NeuralNetTests/Fixtures/onnx"

IR_VERSION = 8  # IR 8 = onnx 1.10; enough for opset 13/14, read by any ORT >= 1.10
SURPRISES = []
MANIFEST = []

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def randn(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def raw(name, array):
    """Initializer stored as raw_data (what numpy_helper.from_array does)."""
    return numpy_helper.from_array(np.asarray(array), name)


def fdata(name, array):
    """FLOAT initializer stored in the repeated float_data field."""
    a = np.asarray(array, dtype=np.float32)
    t = helper.make_tensor(name, F, a.shape, a.flatten().tolist(), raw=False)
    assert not t.raw_data and len(t.float_data) == a.size
    return t


def i64(name, values):
    return raw(name, np.asarray(values, dtype=np.int64))


def storage(t):
    dtype = TensorProto.DataType.Name(t.data_type)
    if t.raw_data:
        kind = "raw_data"
    elif t.float_data:
        kind = "float_data"
    elif t.int64_data:
        kind = "int64_data"
    elif t.int32_data:
        kind = "int32_data"
    elif t.double_data:
        kind = "double_data"
    else:
        kind = "empty"
    return f"{dtype}/{kind}"


def case(name, nodes, inputs, inits=(), opset=13,
         note="", ir_version=IR_VERSION, inits_as_inputs=False, extra=None):
    """Build, check, run and write one case.

    inputs: list of (tensor name, numpy float32 array) for the graph inputs
    that are fed; the graph output is nodes[-1].output[0].
    """
    inits = list(inits)
    graph_inputs = [helper.make_tensor_value_info(n, F, a.shape) for n, a in inputs]
    if inits_as_inputs:  # IR < 4: every initializer must also be a graph input
        for t in inits:
            graph_inputs.append(helper.make_tensor_value_info(t.name, t.data_type, t.dims))
    out_name = nodes[-1].output[0]
    graph_outputs = [helper.make_tensor_value_info(out_name, F, None)]
    graph = helper.make_graph(nodes, name, graph_inputs, graph_outputs, initializer=inits)
    model = helper.make_model(graph, producer_name="cnnfilter-make-onnx-fixtures",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    # The output's shape comes from shape inference (the checker wants one).
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    feeds = {n: a for n, a in inputs}
    if inferred.graph.output[0].type.tensor_type.HasField("shape"):
        model.graph.output[0].CopyFrom(inferred.graph.output[0])
    else:  # not inferable statically (shape_gather): declare what onnxruntime gives
        shape = run_ort(model, feeds).shape
        del model.graph.output[:]
        model.graph.output.append(helper.make_tensor_value_info(out_name, F, shape))
    onnx.checker.check_model(model, full_check=True)

    data = model.SerializeToString()
    result = run_ort(model, feeds)
    if result.dtype != np.float32:
        SURPRISES.append(f"{name}: output dtype {result.dtype}, stored as float32")
        result = result.astype(np.float32)
    if not np.all(np.isfinite(result)):
        SURPRISES.append(f"{name}: non-finite values in output")

    (OUT / f"{name}.onnx").write_bytes(data)
    if len(inputs) == 1:
        in_files = [f"{name}.input.npy"]
    else:
        in_files = [f"{name}.input{i}.npy" for i in range(len(inputs))]
    for f, (_, a) in zip(in_files, inputs):
        assert a.dtype == np.float32
        np.save(OUT / f, a)
    np.save(OUT / f"{name}.output.npy", result)

    ops = []
    for n in nodes:
        if n.op_type not in ops:
            ops.append(n.op_type)
    entry = {
        "name": name,
        "model": f"{name}.onnx",
        "inputs": in_files,
        "output": f"{name}.output.npy",
        "ops": ops,
        "opset": opset,
        "ir_version": ir_version,
        "input_shapes": [list(a.shape) for _, a in inputs],
        "output_shape": list(result.shape),
        "initializers": {t.name: storage(t) for t in inits},
        "note": note,
    }
    if extra:
        entry.update(extra)
    MANIFEST.append(entry)
    return model


def run_ort(model, feeds):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, feeds)[0])


def node(op, inputs, outputs, name=None, **attrs):
    return helper.make_node(op, inputs, outputs, name=name or outputs[0], **attrs)


# ---------------------------------------------------------------- convolution

def conv_case(name, x_shape, w_shape, bias=True, opset=13, note="", store=raw,
              seed_name=None, **attrs):
    rng = rng_for(seed_name or name)
    x = randn(rng, *x_shape)
    fan_in = int(np.prod(w_shape[1:]))
    w = randn(rng, *w_shape, scale=1.0 / np.sqrt(fan_in))
    inits = [store("W", w)]
    ins = ["X", "W"]
    if bias:
        inits.append(store("B", randn(rng, w_shape[0], scale=0.5)))
        ins.append("B")
    nodes = [node("Conv", ins, ["Y"], name="conv", **attrs)]
    kw = {}
    if opset < 9:
        kw = dict(ir_version=3, inits_as_inputs=True)
    case(name, nodes, [("X", x)], inits=inits, opset=opset, note=note, **kw)


def convolutions():
    conv_case("conv_basic", (1, 3, 9, 11), (4, 3, 3, 3), pads=[1, 1, 1, 1],
              note="3x3, pads 1, bias")
    conv_case("conv_nobias_stride2", (1, 3, 9, 11), (4, 3, 3, 3), bias=False,
              strides=[2, 2], pads=[0, 0, 0, 0], note="no bias, strides 2, pads 0, odd sizes")
    conv_case("conv_dilation2", (1, 3, 9, 11), (4, 3, 3, 3), dilations=[2, 2],
              pads=[1, 1, 1, 1], note="dilations 2, pads 1")
    conv_case("conv_pads_asym", (1, 3, 9, 11), (4, 3, 3, 3), pads=[0, 1, 2, 1],
              note="pads [top=0, left=1, bottom=2, right=1]")
    conv_case("conv_group2", (2, 4, 7, 8), (6, 2, 3, 3), group=2, pads=[1, 1, 1, 1],
              note="4->6 channels, group 2")
    conv_case("conv_depthwise", (2, 4, 7, 8), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1],
              note="depthwise 4->4, group 4")
    conv_case("conv_auto_pad_same_upper", (1, 3, 8, 10), (4, 3, 3, 3),
              auto_pad="SAME_UPPER", strides=[2, 2],
              note="auto_pad SAME_UPPER, stride 2, even input: total pad 1 per axis, "
                   "all of it at the end (bottom/right)")
    conv_case("conv_auto_pad_valid", (1, 3, 9, 11), (4, 3, 3, 3), auto_pad="VALID",
              note="auto_pad VALID")
    conv_case("conv_auto_pad_same_upper_sgemm", (1, 4, 9, 10), (8, 4, 3, 3), auto_pad="SAME_UPPER", strides=[2, 2],
              note="auto_pad SAME_UPPER, stride 2, 8 filters (direct kernel): odd height pads 1 + 1, even width 0 + 1")
    conv_case("conv_auto_pad_same_lower_sgemm", (1, 4, 9, 10), (8, 4, 4, 3), auto_pad="SAME_LOWER",
              note="auto_pad SAME_LOWER, 4x3 kernel, 8 filters (direct kernel): the odd padding row at the top")
    # Many channels (6 filters per group and more): cnnfilter runs these on its direct kernel (DirectConv).
    conv_case("conv_many_channels", (2, 16, 9, 11), (24, 16, 3, 3), strides=[2, 1], dilations=[1, 2],
              pads=[1, 2, 0, 1], note="16->24 channels, strides [2,1], dilations [1,2], pads [1,2,0,1] (direct kernel)")
    conv_case("conv_many_channels_group", (1, 16, 8, 8), (32, 8, 3, 3), group=2, pads=[1, 1, 1, 1],
              note="16->32 channels in 2 groups (direct kernel)")
    conv_case("conv_pointwise_many", (2, 32, 24, 24), (16, 32, 1, 1),
              note="1x1, 32->16 channels, stride 1, no padding: the direct kernel reads the input planes in place, "
                   "576 pixels split into column blocks over the cores")
    conv_case("conv_depthwise_stride2", (1, 8, 11, 13), (16, 1, 3, 3), group=8, strides=[2, 2], pads=[1, 0, 1, 2],
              note="depthwise with multiplier 2 (8->16 channels, group 8), strides 2, pads [1,0,1,2], odd sizes")
    conv_case("conv_depthwise_dilated", (2, 6, 10, 9), (6, 1, 3, 3), group=6, dilations=[2, 2], pads=[2, 2, 2, 2],
              bias=False, note="depthwise 6->6, dilations 2, pads 2, no bias, batch 2")
    # Depthwise layers run flat (FlatDepthwise, AVX-512 builds): in place at stride 1 when the output is as
    # wide as the input, else from unpadded phase planes as wide as the output; other geometries (less padding
    # than the kernel's reach) on padded phase planes.
    conv_case("conv_depthwise_flat_wide", (1, 3, 30, 37), (3, 1, 5, 5), group=3, pads=[2, 2, 2, 2],
              note="depthwise 5x5, pads 2 on 30x37: read in place, 70 vectors per plane (groups of 8 and a tail)")
    conv_case("conv_depthwise_flat_stride_2x1", (2, 3, 21, 40), (6, 1, 3, 3), group=3, strides=[2, 1],
              pads=[1, 1, 1, 1], note="depthwise with multiplier 2, strides [2,1], batch 2: row phases only")
    conv_case("conv_depthwise_flat_stride2_even", (1, 16, 28, 28), (16, 1, 3, 3), group=16, strides=[2, 2],
              pads=[1, 1, 1, 1], note="MobileNet's downsampling depthwise in small: 28x28 -> 14x14, 4 phase planes")
    conv_case("conv_depthwise_flat_stride3", (1, 4, 20, 23), (4, 1, 3, 3), group=4, strides=[3, 3],
              pads=[1, 1, 1, 1], note="depthwise, strides 3: 9 phase planes, the last column phase narrower")
    conv_case("conv_depthwise_overpadded", (1, 4, 9, 10), (4, 1, 3, 3), group=4, pads=[2, 3, 2, 3],
              note="depthwise, pads [2,3,2,3]: an output wider than the input (rows re-pitched)")
    conv_case("conv_depthwise_valid", (1, 4, 9, 10), (4, 1, 3, 3), group=4,
              note="depthwise without padding: padded phase planes (the flat layout does not apply)")
    conv_case("conv_sgemm_blocks", (1, 64, 24, 25), (7, 64, 3, 3), pads=[1, 1, 1, 1],
              note="64->7 channels 3x3 on 24x25: a 24x27 grid (648 columns, 14 tiles, the last partial) split "
                   "over the cores (direct kernel: too few filters for Winograd)")
    conv_case("conv_sgemm_blocks_stride2", (1, 32, 40, 42), (8, 32, 5, 5), strides=[2, 2], pads=[2, 2, 2, 2],
              note="32->8 channels 5x5, strides 2, pads 2: 20x21 outputs from 4 phase planes per channel (direct kernel)")
    # The direct kernel's edges: partial tiles of filters and of grid columns, phase planes for
    # strides 2 (SIMD deinterleave), 3 and 4, the in-place 1x1 path with its last plane copied.
    conv_case("conv_direct_strides_dilated", (1, 5, 23, 19), (13, 5, 3, 3), strides=[3, 2], dilations=[2, 1],
              pads=[2, 1, 0, 3], note="5->13 filters (a partial tile of filters), strides [3,2], dilations [2,1], "
                                      "pads [2,1,0,3] (direct kernel)")
    conv_case("conv_direct_11x11_stride4", (1, 3, 45, 47), (10, 3, 11, 11), strides=[4, 4], pads=[2, 2, 2, 2],
              note="AlexNet's first layer in small: 11x11, strides 4, pads 2 (16 phase planes per channel)")
    conv_case("conv_direct_pointwise_7x7", (1, 40, 7, 7), (20, 40, 1, 1),
              note="1x1 40->20 on 7x7: read in place but for the last plane (49 floats is not whole vectors); "
                   "the filters in the vector lanes (cf_wide_gemm) in AVX-512 builds")
    conv_case("conv_direct_pointwise_groups_small", (2, 16, 5, 6), (24, 8, 1, 1), group=2,
              note="1x1 16->24 in 2 groups on 5x6, batch 2: 30 positions, the filters in the vector lanes "
                   "(cf_wide_gemm) in AVX-512 builds")
    conv_case("conv_direct_pointwise_stride2", (1, 24, 14, 15), (32, 24, 1, 1), strides=[2, 2], bias=False,
              note="1x1 24->32 at stride 2 (ResNet's downsample), no bias")
    conv_case("conv_direct_groups_batch", (2, 12, 9, 10), (18, 4, 3, 3), group=3, pads=[1, 0, 1, 0],
              note="12->18 channels in 3 groups of 6 filters, batch 2, pads [1,0,1,0]")
    conv_case("conv_direct_many_taps", (1, 96, 20, 21), (7, 96, 3, 3), pads=[1, 1, 1, 1],
              note="96->7 3x3: 864 taps, 20x23 grid in 10 tiles of 48 columns over the cores (direct kernel: too "
                   "few filters for Winograd)")
    # 3x3 at stride 1 with 8 channels and 8 filters or more: Winograd's F(2x2, 3x3) on the direct path
    # (WinogradConv): 2x2 output tiles, the last ones cut at odd sizes.
    conv_case("conv_winograd_odd", (1, 8, 9, 11), (8, 8, 3, 3), pads=[1, 1, 1, 1],
              note="8->8 3x3 pads 1 on 9x11 (Winograd F(2x2,3x3)): 5x6 tiles of 2x2, the last row and column cut")
    conv_case("conv_winograd_pads_batch", (2, 12, 14, 10), (20, 12, 3, 3), pads=[0, 2, 1, 0],
              note="12->20 3x3 (Winograd), batch 2, pads [0,2,1,0]: 13x10 outputs, input tiles across both borders")
    conv_case("conv_winograd_many", (1, 64, 7, 7), (72, 64, 3, 3), pads=[1, 1, 1, 1], bias=False,
              note="64->72 3x3 on 7x7 (ResNet's last stage in small, Winograd): 16 tiles, a partial panel of filters")
    conv_case("conv_1x1", (2, 4, 7, 8), (6, 4, 1, 1), store=fdata,
              note="1x1 kernel; W and B stored as float_data")
    conv_case("conv_5x5_rect", (1, 3, 9, 11), (4, 3, 3, 5), pads=[1, 2, 1, 2],
              note="rectangular 3x5 kernel (kernel_shape attribute given), pads [1,2,1,2]",
              kernel_shape=[3, 5])
    conv_case("conv_opset6", (1, 3, 9, 11), (4, 3, 3, 3), pads=[1, 1, 1, 1], opset=6,
              seed_name="conv_basic",
              note="as conv_basic (same input, weights and output) but opset_import 6 and IR version 3, as old exporters "
                   "wrote: W and B are initializers AND graph inputs (only X is fed)")

    # FLOAT16 initializer -> Cast(to=FLOAT) -> Conv weight
    name = "conv_fp16_weight"
    rng = rng_for(name)
    x = randn(rng, 1, 3, 9, 11)
    w16 = randn(rng, 4, 3, 3, 3, scale=1 / np.sqrt(27)).astype(np.float16)
    b = randn(rng, 4, scale=0.5)
    nodes = [
        node("Cast", ["W16"], ["W"], name="cast_w", to=F),
        node("Conv", ["X", "W", "B"], ["Y"], name="conv", pads=[1, 1, 1, 1]),
    ]
    case(name, nodes, [("X", x)], inits=[raw("W16", w16), raw("B", b)],
         note="Conv weight is a FLOAT16 initializer (raw_data, little-endian halves) "
              "fed through Cast(to=FLOAT); B is FLOAT")


# ---------------------------------------------------------------- activations

def convtranspose_case(name, x_shape, w_shape, note="", **attrs):
    """ConvTranspose: W is C x M/group x kh x kw, with a bias of M values."""
    rng = rng_for(name)
    x = randn(rng, *x_shape)
    w = randn(rng, *w_shape, scale=0.3)
    group = attrs.get("group", 1)
    b = randn(rng, w_shape[1] * group, scale=0.5)
    nodes = [node("ConvTranspose", ["X", "W", "B"], ["Y"], name="deconv", **attrs)]
    case(name, nodes, [("X", x)], inits=[raw("W", w), raw("B", b)], note=note)


def transposed_convolutions():
    convtranspose_case("convtranspose_stride2", (1, 3, 5, 6), (3, 4, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1],
                       output_padding=[1, 1], note="stride 2, pads 1, output_padding 1: 3->4 channels, doubles the size")
    convtranspose_case("convtranspose_group2", (2, 4, 4, 5), (4, 3, 3, 3), group=2, note="group 2: 4->6 channels, no padding")
    convtranspose_case("convtranspose_dilation", (1, 2, 5, 5), (2, 2, 3, 2), dilations=[2, 1], strides=[1, 2],
                       note="dilations [2,1], strides [1,2], rectangular 3x2 kernel")


def unary(name, op, x_shape=(2, 4, 7, 8), opset=13, note="", scale=2.0, **attrs):
    rng = rng_for(name)
    x = randn(rng, *x_shape, scale=scale)
    case(name, [node(op, ["X"], ["Y"], name=name, **attrs)], [("X", x)], opset=opset,
         note=note)


def casts():
    """Cast to an integer or half type and back to float: the values the target type holds."""
    for name, to in [("cast_int32", TensorProto.INT32), ("cast_uint8", TensorProto.UINT8),
                     ("cast_float16", TensorProto.FLOAT16), ("cast_bool", TensorProto.BOOL)]:
        rng = rng_for(name)
        x = randn(rng, 2, 3, 4, 5, scale=4.0)
        if to == TensorProto.UINT8:
            x = np.abs(x) * 20  # in range: out-of-range uint8 casts wrap in onnxruntime, an unspecified case
        if to == TensorProto.BOOL:
            x[0, 0] = 0.0       # some exact zeros
        nodes = [node("Cast", ["X"], ["T"], name="cast", to=to), node("Cast", ["T"], ["Y"], name="back", to=TensorProto.FLOAT)]
        case(name, nodes, [("X", x)], note=f"Cast to {TensorProto.DataType.Name(to)} and back to FLOAT")


def activations():
    unary("relu", "Relu")
    unary("leakyrelu", "LeakyRelu", alpha=0.2, note="alpha 0.2")
    unary("sigmoid", "Sigmoid")
    unary("tanh", "Tanh")
    unary("softmax", "Softmax", x_shape=(3, 10), axis=-1,
          note="2-D 3x10 input, axis -1 (opset 13 semantics)")
    unary("elu", "Elu", note="alpha default 1.0")
    unary("selu", "Selu", note="alpha, gamma defaults")
    unary("softplus", "Softplus")
    unary("hardsigmoid", "HardSigmoid", note="alpha 0.2, beta 0.5 (defaults)")
    unary("hardswish", "HardSwish", opset=14, note="opset 14")

    name = "clip"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8)
    case(name, [node("Clip", ["X", "min", "max"], ["Y"], name="clip")], [("X", x)],
         inits=[raw("min", np.array(0.0, np.float32)), raw("max", np.array(1.0, np.float32))],
         note="opset 13: min 0.0 and max 1.0 are scalar initializer inputs")

    name = "prelu"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8)
    slope = randn(rng, 4, 1, 1, scale=0.3)
    case(name, [node("PRelu", ["X", "slope"], ["Y"], name="prelu")], [("X", x)],
         inits=[raw("slope", slope)], note="slope per channel, shape Cx1x1")


# ---------------------------------------------------------------- pooling

def pooling():
    def pool(name, op, x_shape, note="", **attrs):
        rng = rng_for(name)
        x = randn(rng, *x_shape)
        case(name, [node(op, ["X"], ["Y"], name=name, **attrs)], [("X", x)], note=note)

    pool("maxpool_2x2", "MaxPool", (2, 4, 8, 10), kernel_shape=[2, 2], strides=[2, 2])
    pool("maxpool_3x3_s2_pad1", "MaxPool", (1, 3, 9, 11), kernel_shape=[3, 3],
         strides=[2, 2], pads=[1, 1, 1, 1])
    pool("maxpool_ceil", "MaxPool", (1, 3, 9, 12), kernel_shape=[3, 3], strides=[2, 2],
         ceil_mode=1, note="ceil_mode 1, kernel 3, stride 2; H 9 -> 4, W 12 -> 6 "
                           "(floor would give 5 along W)")
    pool("maxpool_dilated_asym", "MaxPool", (1, 3, 11, 12), kernel_shape=[3, 2], strides=[1, 2],
         dilations=[2, 3], pads=[1, 1, 2, 0],
         note="dilations [2,3], strides [1,2], rectangular 3x2 window, pads [1,1,2,0] (opset 13)")
    rng = rng_for("maxpool_negative_stride3")
    x = -np.abs(randn(rng, 2, 3, 13, 17)) - 1
    case("maxpool_negative_stride3", [node("MaxPool", ["X"], ["Y"], name="maxpool_negative_stride3",
                                           kernel_shape=[2, 4], strides=[3, 3], pads=[1, 2, 1, 2], ceil_mode=1)],
         [("X", x)], note="every input below -1: the padding must never win (cnnfilter pads with -inf); "
                          "2x4 window, strides 3 (three phase planes a side), pads [1,2,1,2], ceil_mode 1, batch 2")
    pool("averagepool_pad_exclude", "AveragePool", (1, 3, 9, 11), kernel_shape=[3, 3],
         strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0,
         note="kernel 3, pads 1, count_include_pad 0")
    pool("averagepool_pad_include", "AveragePool", (1, 3, 9, 11), kernel_shape=[3, 3],
         strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1,
         note="kernel 3, pads 1, count_include_pad 1")
    pool("globalaveragepool", "GlobalAveragePool", (2, 4, 7, 8))
    pool("globalmaxpool", "GlobalMaxPool", (2, 4, 7, 8))


# ---------------------------------------------------------------- normalization

def normalization():
    name = "batchnorm"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8)
    scale, bias, mean = randn(rng, 4), randn(rng, 4), randn(rng, 4)
    var = (rng.uniform(0.5, 2.0, 4)).astype(np.float32)
    case(name, [node("BatchNormalization", ["X", "scale", "B", "mean", "var"], ["Y"],
                     name="bn", epsilon=1e-5)], [("X", x)],
         inits=[raw("scale", scale), raw("B", bias), raw("mean", mean), raw("var", var)],
         note="inference mode, epsilon 1e-5")

    name = "instancenorm"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8, scale=3.0) + 1.0
    case(name, [node("InstanceNormalization", ["X", "scale", "B"], ["Y"], name="in",
                     epsilon=1e-5)], [("X", x)],
         inits=[raw("scale", randn(rng, 4)), raw("B", randn(rng, 4))], note="epsilon 1e-5")

    name = "lrn"
    rng = rng_for(name)
    x = randn(rng, 2, 5, 7, 8, scale=2.0)
    case(name, [node("LRN", ["X"], ["Y"], name="lrn", size=3, alpha=0.1, beta=0.75,
                     bias=1.0)], [("X", x)],
         note="size 3, alpha 0.1 (larger than the default 1e-4 so the normalization "
              "matters), beta 0.75, bias 1.0; 5 channels")


# ---------------------------------------------------------------- linear algebra, elementwise

def linear():
    name = "gemm"
    rng = rng_for(name)
    x = randn(rng, 2, 20)
    case(name, [node("Gemm", ["X", "W", "C"], ["Y"], name="gemm", alpha=1.0, beta=1.0,
                     transB=1)], [("X", x)],
         inits=[fdata("W", randn(rng, 5, 20, scale=0.25)), fdata("C", randn(rng, 5))],
         note="2x20 -> 2x5, transB 1 (W is 5x20), alpha 1, beta 1, C bias of shape [5]; "
              "W and C stored as float_data")

    name = "gemm_alpha_beta"
    rng = rng_for(name)
    x = randn(rng, 2, 20)
    case(name, [node("Gemm", ["X", "W", "C"], ["Y"], name="gemm", alpha=0.5, beta=2.0,
                     transA=0, transB=0)], [("X", x)],
         inits=[raw("W", randn(rng, 20, 5, scale=0.25)), raw("C", randn(rng, 2, 5))],
         note="alpha 0.5, beta 2, transA 0, transB 0 (W is 20x5), C of shape [2,5]")

    name = "gemm_transA_large"
    rng = rng_for(name)
    x = randn(rng, 256, 4)
    case(name, [node("Gemm", ["X", "W", "C"], ["Y"], name="gemm", transA=1, transB=1)], [("X", x)],
         inits=[raw("W", randn(rng, 96, 256, scale=0.1)), raw("C", randn(rng, 96))],
         note="transA 1 (X is 256x4, used as 4x256), transB 1 (W is 96x256), C of shape [96]: "
              "4x96 outputs of 256 products each, enough to be split over the cores (columns)")

    name = "gemm_one_row"
    rng = rng_for(name)
    x = randn(rng, 1, 256)
    case(name, [node("Gemm", ["X", "W", "C"], ["Y"], name="gemm", transB=1, alpha=0.75)], [("X", x)],
         inits=[raw("W", randn(rng, 256, 256, scale=0.1)), raw("C", randn(rng, 256))],
         note="one row, as a classifier layer on one image: 1x256 by W 256x256 (transB 1), alpha 0.75, C [256] "
              "(matrix-vector product, split over the cores)")

    name = "gemm_one_row_transA"
    rng = rng_for(name)
    x = randn(rng, 64, 1)
    case(name, [node("Gemm", ["X", "W", "C"], ["Y"], name="gemm", transA=1, beta=0.5)], [("X", x)],
         inits=[raw("W", randn(rng, 64, 40, scale=0.2)), raw("C", randn(rng, 1, 40))],
         note="one row stored as a column: X 64x1 with transA 1, W 64x40 (transB 0), beta 0.5, C [1,40]")

    name = "matmul_tall"
    rng = rng_for(name)
    x = randn(rng, 48, 256)
    case(name, [node("MatMul", ["X", "W"], ["Y"], name="matmul")], [("X", x)],
         inits=[raw("W", randn(rng, 256, 12, scale=0.1))],
         note="48x256 @ 256x12: more rows than columns, split over the cores by rows")

    name = "matmul"
    rng = rng_for(name)
    x = randn(rng, 2, 3, 4)
    case(name, [node("MatMul", ["X", "W"], ["Y"], name="matmul")], [("X", x)],
         inits=[raw("W", randn(rng, 4, 5))], note="2x3x4 @ 4x5 (initializer) -> 2x3x5")

    for name, op in [("add_broadcast", "Add"), ("mul_broadcast", "Mul")]:
        rng = rng_for(name)
        x = randn(rng, 2, 4, 7, 8)
        case(name, [node(op, ["X", "C"], ["Y"], name=op.lower())], [("X", x)],
             inits=[raw("C", randn(rng, 4, 1, 1))],
             note="NxCxHxW with a Cx1x1 initializer (numpy broadcasting)")

    name = "sub"
    rng = rng_for(name)
    x0 = randn(rng, 2, 4, 7, 8)
    x1 = randn(rng, 4, 1, 8)
    case(name, [node("Sub", ["A", "B"], ["Y"], name="sub")], [("A", x0), ("B", x1)],
         note="two graph inputs: A 2x4x7x8 - B 4x1x8 (broadcast over N and H)")

    name = "div"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8)
    d = (rng.uniform(0.5, 2.0, (4, 1, 1)) * rng.choice([-1, 1], (4, 1, 1))).astype(np.float32)
    case(name, [node("Div", ["X", "D"], ["Y"], name="div")], [("X", x)],
         inits=[raw("D", d)], note="divisor Cx1x1 initializer, |d| in [0.5, 2], mixed signs")


# ---------------------------------------------------------------- shape / data movement

def shapes():
    def simple(name, x_shape, nodes, inits=(), note=""):
        rng = rng_for(name)
        x = randn(rng, *x_shape)
        case(name, nodes, [("X", x)], inits=inits, note=note)

    simple("flatten", (2, 4, 7, 8), [node("Flatten", ["X"], ["Y"], name="flatten", axis=1)],
           note="axis 1")
    simple("reshape", (2, 4, 7, 8), [node("Reshape", ["X", "shape"], ["Y"], name="reshape")],
           inits=[i64("shape", [2, -1])], note="shape initializer [2, -1] (INT64)")
    simple("transpose", (2, 4, 7, 8),
           [node("Transpose", ["X"], ["Y"], name="transpose", perm=[0, 2, 3, 1])],
           note="perm 0,2,3,1 (NCHW -> NHWC)")

    name = "concat"
    rng = rng_for(name)
    x = randn(rng, 2, 4, 7, 8)
    case(name, [node("Concat", ["X", "K"], ["Y"], name="concat", axis=1)], [("X", x)],
         inits=[raw("K", randn(rng, 2, 3, 7, 8))],
         note="axis 1: input 2x4x7x8 then initializer 2x3x7x8 -> 2x7x7x8")

    simple("squeeze_unsqueeze", (1, 3, 1, 5),
           [node("Squeeze", ["X", "sq_axes"], ["S"], name="squeeze"),
            node("Unsqueeze", ["S", "unsq_axes"], ["Y"], name="unsqueeze")],
           inits=[i64("sq_axes", [0, 2]), i64("unsq_axes", [1])],
           note="opset 13, axes as INT64 initializer inputs: 1x3x1x5 -squeeze[0,2]-> 3x5 "
                "-unsqueeze[1]-> 3x1x5")

    pads = [0, 0, 1, 2, 0, 0, 2, 1]  # begin N,C,H,W then end N,C,H,W
    simple("pad_reflect", (1, 3, 5, 6),
           [node("Pad", ["X", "pads"], ["Y"], name="pad", mode="reflect")],
           inits=[i64("pads", pads)], note="mode reflect, pads [0,0,1,2,0,0,2,1] (INT64 input)")
    simple("pad_constant", (1, 3, 5, 6),
           [node("Pad", ["X", "pads", "value"], ["Y"], name="pad", mode="constant")],
           inits=[i64("pads", pads), raw("value", np.array(0.5, np.float32))],
           note="mode constant, value 0.5 (scalar input), pads [0,0,1,2,0,0,2,1]")
    simple("pad_edge", (1, 3, 5, 6),
           [node("Pad", ["X", "pads"], ["Y"], name="pad", mode="edge")],
           inits=[i64("pads", pads)], note="mode edge, pads [0,0,1,2,0,0,2,1]")

    scales = np.array([1, 1, 2, 2], np.float32)
    simple("resize_nearest", (1, 3, 4, 5),
           [node("Resize", ["X", "roi", "scales"], ["Y"], name="resize", mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
           inits=[raw("roi", np.zeros(0, np.float32)), raw("scales", scales)],
           note="scales [1,1,2,2], nearest, asymmetric, floor; roi is an EMPTY float "
                "initializer (as exporters write it)")
    simple("resize_linear", (1, 3, 4, 5),
           [node("Resize", ["X", "", "scales"], ["Y"], name="resize", mode="linear",
                 coordinate_transformation_mode="half_pixel")],
           inits=[raw("scales", scales)],
           note="scales [1,1,2,2], linear, half_pixel; roi input omitted (empty name \"\")")

    simple("depthtospace", (1, 8, 3, 4),
           [node("DepthToSpace", ["X"], ["Y"], name="d2s", blocksize=2, mode="DCR")],
           note="blocksize 2, mode DCR: 1x8x3x4 -> 1x2x6x8")
    simple("reducemean", (2, 4, 7, 8),
           [node("ReduceMean", ["X"], ["Y"], name="reducemean", axes=[2, 3], keepdims=1)],
           note="axes [2,3] as attribute (opset 13), keepdims 1")
    simple("identity", (2, 4, 7, 8), [node("Identity", ["X"], ["Y"], name="identity")])
    simple("dropout", (2, 4, 7, 8), [node("Dropout", ["X"], ["Y"], name="dropout")],
           note="opset 13, no ratio/training_mode inputs: inference, output = input")

    simple("shape_gather", (2, 4, 7, 8),
           [node("Shape", ["X"], ["shp"], name="shape"),
            node("Gather", ["shp", "idx0"], ["n"], name="gather", axis=0),
            node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
            node("Concat", ["n1", "minus1"], ["newshape"], name="concat", axis=0),
            node("Reshape", ["X", "newshape"], ["Y"], name="reshape")],
           inits=[i64("idx0", np.array(0, np.int64)), i64("axes0", [0]), i64("minus1", [-1])],
           note="PyTorch-export flatten pattern: Shape -> Gather(index 0, scalar INT64) -> "
                "Unsqueeze -> Concat with [-1] -> Reshape; 2x4x7x8 -> 2x224")
    simple("constantofshape", (2, 4, 7, 8),
           [node("Shape", ["X"], ["shp"], name="shape"),
            node("ConstantOfShape", ["shp"], ["K"], name="cos",
                 value=helper.make_tensor("value", F, [1], [0.5])),
            node("Add", ["X", "K"], ["Y"], name="add")],
           note="Y = X + ConstantOfShape(Shape(X), value=0.5)")
    simple("split", (2, 6, 5, 4),
           [node("Split", ["X"], ["Y", "Z"], name="split", axis=1)],
           note="axis 1, two equal outputs (no split input); fixture = first output "
                "(channels 0..2); the second output is channels 3..5")


# ---------------------------------------------------------------- transformers: logic, indices, einsum, norms

BOOL = TensorProto.BOOL


def ir_for(opset):
    """The IR version onnx pairs with an opset (8 up to opset 18, 9 for 19-20, 10 for 21)."""
    return IR_VERSION if opset <= 18 else (9 if opset <= 20 else 10)


def to_float(src, dst):
    return node("Cast", [src], [dst], name=f"{dst}.cast", to=F)


def logic():
    """Comparisons, boolean logic, Where and Mod on int64 and bool tensors made inside the graph by Cast."""
    name = "equal_broadcast"
    rng = rng_for(name)
    a, b = np.round(randn(rng, 2, 3, 4, 5) * 1.5), np.round(randn(rng, 3, 1, 5) * 1.5)
    case(name, [node("Equal", ["A", "B"], ["E"]), to_float("E", "Y")], [("A", a), ("B", b)],
         note="float32 2x3x4x5 == 3x1x5 (rounded values, many equal), bool output cast to FLOAT")

    name = "equal_int64"
    rng = rng_for(name)
    a, b = np.round(randn(rng, 4, 6) * 2), np.round(randn(rng, 6) * 2)
    case(name, [node("Cast", ["A"], ["Ai"], to=I64), node("Cast", ["B"], ["Bi"], to=I64),
                node("Equal", ["Ai", "Bi"], ["E"]), to_float("E", "Y")], [("A", a), ("B", b)], opset=19,
         ir_version=ir_for(19), note="int64 4x6 == int64 6 (opset 19)")

    def weighted(bools):
        """Nodes for sum over i of 2^i * Cast(bools[i], FLOAT), and its initializers w0, w1, ...: one output
        that shows every operand."""
        nodes = []
        for i, b in enumerate(bools):
            nodes += [to_float(b, f"f{i}"), node("Mul", [f"f{i}", f"w{i}"], [f"m{i}" if i else "s0"])]
            if i:
                nodes.append(node("Add", [f"s{i - 1}", f"m{i}"], [f"s{i}"]))
        nodes.append(node("Identity", [f"s{len(bools) - 1}"], ["Y"]))
        return nodes, [raw(f"w{i}", np.float32(2 ** i)) for i in range(len(bools))]

    name = "comparisons"
    rng = rng_for(name)
    a, b = np.round(randn(rng, 3, 4, 5)), np.round(randn(rng, 4, 1))
    ops = ["Less", "Greater", "LessOrEqual", "GreaterOrEqual"]
    tail, weights = weighted([f"c{i}" for i in range(len(ops))])
    case(name, [node(op, ["A", "B"], [f"c{i}"]) for i, op in enumerate(ops)] + tail, [("A", a), ("B", b)],
         inits=weights,
         note="Less + 2 Greater + 4 LessOrEqual + 8 GreaterOrEqual of 3x4x5 and 4x1 (rounded, many ties)")

    name = "boolean_logic"
    rng = rng_for(name)
    a = np.round(rng.uniform(0, 1, (3, 4, 5))).astype(np.float32)
    b = np.round(rng.uniform(0, 1, (4, 5))).astype(np.float32)
    nodes = [node("Cast", ["A"], ["p"], to=BOOL), node("Cast", ["B"], ["q"], to=BOOL)]
    nodes += [node(op, ["p", "q"], [f"c{i}"]) for i, op in enumerate(["And", "Or", "Xor"])]
    nodes += [node("Not", ["p"], ["c3"])]
    tail, weights = weighted([f"c{i}" for i in range(4)])
    case(name, nodes + tail, [("A", a), ("B", b)], inits=weights,
         note="bool 3x4x5 and 4x5 (Cast of 0/1): And + 2 Or + 4 Xor + 8 Not(A)")

    name = "where_broadcast"
    rng = rng_for(name)
    c, x, y = np.round(rng.uniform(0, 1, (4, 1))).astype(np.float32), randn(rng, 2, 4, 5), randn(rng, 5)
    case(name, [node("Cast", ["C"], ["cond"], to=BOOL), node("Where", ["cond", "X", "Yv"], ["Y"])],
         [("C", c), ("X", x), ("Yv", y)], opset=16,
         note="Where(bool 4x1, float 2x4x5, float 5): all three broadcast (opset 16)")

    name = "where_int64"
    rng = rng_for(name)
    x = np.round(randn(rng, 3, 4) * 3)
    case(name, [node("Greater", ["X", "zero"], ["cond"]), node("Cast", ["X"], ["Xi"], to=I64),
                node("Where", ["cond", "Xi", "minus"], ["W"]), to_float("W", "Y")], [("X", x)],
         inits=[raw("zero", np.float32(0)), i64("minus", -7)], opset=9,
         note="Where(X > 0, int64 X, int64 scalar -7), opset 9 (its first)")

    name = "mod_fmod1_float"
    rng = rng_for(name)
    a, b = randn(rng, 3, 4, 5, scale=5), randn(rng, 4, 5, scale=2)
    b[np.abs(b) < 0.1] = 0.5
    case(name, [node("Mod", ["A", "B"], ["Y"], fmod=1)], [("A", a), ("B", b)],
         note="float fmod 1 (C fmod: the dividend's sign), both signs, B broadcast 4x5")

    for fmod in (0, 1):
        name = f"mod_fmod{fmod}_int64"
        rng = rng_for(name)
        a, b = np.round(randn(rng, 6, 7) * 10), np.round(randn(rng, 7) * 4)
        b[b == 0] = -3
        case(name, [node("Cast", ["A"], ["Ai"], to=I64), node("Cast", ["B"], ["Bi"], to=I64),
                    node("Mod", ["Ai", "Bi"], ["M"], fmod=fmod), to_float("M", "Y")], [("A", a), ("B", b)],
             note=f"int64 fmod {fmod} " + ("(the divisor's sign, as Python's %)" if fmod == 0 else
                                         "(the dividend's sign)") + ", both signs, B broadcast over rows")


    name = "div_int64_truncates"
    rng = rng_for(name)
    a, b = np.round(randn(rng, 5, 6) * 20), np.round(randn(rng, 6) * 4)
    b[b == 0] = 3
    case(name, [node("Cast", ["A"], ["Ai"], to=I64), node("Cast", ["B"], ["Bi"], to=I64),
                node("Div", ["Ai", "Bi"], ["D"]), to_float("D", "Y")], [("A", a), ("B", b)],
         note="int64 Div truncates toward zero (both signs), B broadcast over rows")

    name = "chunk_arithmetic"
    rng = rng_for(name)
    x = randn(rng, 2, 7, 12)
    consts = [i64("last", [-1]), i64("two", 2), i64("three", 3), i64("one", 1)]
    nodes = [node("Shape", ["X"], ["shape"]), node("Gather", ["shape", "last"], ["d"], axis=0),
             node("Add", ["d", "two"], ["d2"]), node("Div", ["d2", "three"], ["chunk"]),
             node("Mul", ["chunk", "one"], ["start"]), node("Mul", ["chunk", "two"], ["end"]),
             node("Slice", ["X", "start", "end", "last"], ["Y"])]
    case(name, nodes, [("X", x)], inits=consts,
         note="torch.chunk(x, 3, -1)[1] as the classic exporter writes it (MaxViT's q, k, v): chunk = (12 + 2) / 3 "
              "in int64 = 4, so columns 4 to 8 (float division would give 4.67 and end at 9)")


    name = "max_three_inputs"
    rng = rng_for(name)
    a, b, c = randn(rng, 2, 3, 4), randn(rng, 3, 1), randn(rng, 4)
    case(name, [node("Max", ["A", "B", "C"], ["Y"])], [("A", a), ("B", b), ("C", c)],
         note="Max of three inputs, 2x3x4, 3x1 and 4, broadcast together")
    name = "min_one_input"
    rng = rng_for(name)
    case(name, [node("Min", ["X"], ["Y"])], [("X", randn(rng, 2, 3))], note="Min of one input: the input")

    name = "upsample_nearest_scale3"
    rng = rng_for(name)
    case(name, [node("Upsample", ["X", "scales"], ["Y"], mode="nearest")], [("X", randn(rng, 1, 2, 3, 4))],
         inits=[raw("scales", np.array([1, 1, 3, 3], np.float32))], opset=9,
         note="Upsample nearest by 3 (opset 9): output pixel o reads floor(o / 3)")
    name = "resize10_nearest_scale3"
    rng = rng_for(name)
    case(name, [node("Resize", ["X", "scales"], ["Y"], mode="nearest")], [("X", randn(rng, 1, 2, 3, 4))],
         inits=[raw("scales", np.array([1, 1, 3, 3], np.float32))], opset=10,
         note="Resize-10 nearest by 3")
    name = "resize10_nearest_shrink"
    rng = rng_for(name)
    case(name, [node("Resize", ["X", "scales"], ["Y"], mode="nearest")], [("X", randn(rng, 1, 2, 9, 10))],
         inits=[raw("scales", np.array([1, 1, 0.6, 0.45], np.float32))], opset=10,
         note="Resize-10 nearest by 0.6 and 0.45 (shrinking)")


def index_ops():
    name = "expand_both_ways"
    rng = rng_for(name)
    x = randn(rng, 3, 1, 5)
    case(name, [node("Expand", ["X", "shape"], ["Y"])], [("X", x)], inits=[i64("shape", [2, 1, 4, 1])],
         note="3x1x5 expanded with shape [2,1,4,1]: 2x3x4x5 (ones in the shape keep the input's extent)")

    name = "expand_shorter_shape"
    rng = rng_for(name)
    x = randn(rng, 2, 3, 1)
    case(name, [node("Expand", ["X", "shape"], ["Y"])], [("X", x)], inits=[i64("shape", [3, 4])], opset=8,
         note="2x3x1 with shape [3,4] (shorter than the input): 2x3x4, opset 8")

    for name, (start, limit, delta), dtype in [("range_int64", (2, 17, 3), np.int64),
                                               ("range_int64_down", (10, -5, -4), np.int64),
                                               ("range_float", (0.5, 3.7, 0.3), np.float32)]:
        rng = rng_for(name)
        count = max(int(np.ceil((limit - start) / delta)), 0)
        x = randn(rng, 2, count)
        nodes = [node("Range", ["start", "limit", "delta"], ["R"])]
        nodes += [to_float("R", "Rf")] if dtype == np.int64 else [node("Identity", ["R"], ["Rf"])]
        nodes += [node("Add", ["X", "Rf"], ["Y"])]
        case(name, nodes, [("X", x)], opset=11,
             inits=[raw(n, np.array(v, dtype)) for n, v in zip(["start", "limit", "delta"], [start, limit, delta])],
             note=f"X + Range({start}, {limit}, {delta}) in {np.dtype(dtype).name}: {count} values")

    name = "gathernd_slices"
    rng = rng_for(name)
    x = randn(rng, 4, 5, 6)
    case(name, [node("GatherND", ["X", "idx"], ["Y"])], [("X", x)],
         inits=[i64("idx", [[[1, 2], [3, -1]], [[0, 0], [2, 4]]])], opset=11,
         note="indices 2x2x2 into 4x5x6 (one negative): a 2x2x6 output of rows, opset 11")

    name = "gathernd_batch_dims"
    rng = rng_for(name)
    x = randn(rng, 2, 3, 4, 5)
    case(name, [node("GatherND", ["X", "idx"], ["Y"], batch_dims=1)], [("X", x)],
         inits=[i64("idx", [[[2, 3], [0, 1], [1, 0]], [[1, 1], [2, 2], [0, 3]]])], opset=13,
         note="batch_dims 1: each of the 2 items picks 3 rows of 5 from its own 3x4x5 part")

    name = "scatternd_slices"
    rng = rng_for(name)
    x, u = randn(rng, 4, 5, 6), randn(rng, 2, 5, 6)
    case(name, [node("ScatterND", ["X", "idx", "U"], ["Y"])], [("X", x), ("U", u)],
         inits=[i64("idx", [[1], [-1]])], note="4x5x6 data, indices [[1],[-1]] (a negative index): two 5x6 slices")

    name = "scatternd_elements"
    rng = rng_for(name)
    x, u = randn(rng, 3, 4, 5), randn(rng, 2, 2)
    case(name, [node("ScatterND", ["X", "idx", "U"], ["Y"])], [("X", x), ("U", u)],
         inits=[i64("idx", [[[0, 1, 2], [2, 3, 4]], [[1, 0, 0], [0, 0, 4]]])],
         note="single elements: indices 2x2x3 into 3x4x5, updates 2x2")

    name = "scatternd_reductions"
    rng = rng_for(name)
    x, u = randn(rng, 4, 3), randn(rng, 3, 3)
    idx = i64("idx", [[1], [3], [1]])
    nodes = [node("ScatterND", ["X", "idx", "U"], ["a"], reduction="add"),
             node("ScatterND", ["a", "idx", "U"], ["m"], reduction="mul"),
             node("ScatterND", ["m", "idx", "U"], ["hi"], reduction="max"),
             node("ScatterND", ["hi", "idx", "U"], ["Y"], reduction="min")]
    case(name, nodes, [("X", x), ("U", u)], inits=[idx], opset=18,
         note="reductions add, mul, max, min in a chain, row 1 addressed twice (opset 18)")


def einsums():
    def einsum(name, equation, shapes, opset=12, note=""):
        rng = rng_for(name)
        arrays = [randn(rng, *s) for s in shapes]
        names = [f"X{i}" for i in range(len(shapes))]
        case(name, [node("Einsum", names, ["Y"], equation=equation)], list(zip(names, arrays)), opset=opset,
             note=f"equation '{equation}' " + note)

    einsum("einsum_attention_scores", "bhid,bhjd->bhij", [(2, 3, 7, 8), (2, 3, 6, 8)],
           note="(attention's q·kᵀ: B arranged as batch × summed × columns)")
    einsum("einsum_attention_values", "bhij,bhjd->bhid", [(2, 3, 7, 6), (2, 3, 6, 8)], opset=13,
           note="(attention's weights·v: a plain batched product)")
    einsum("einsum_maxvit", "B G H I D, B G H J D -> B G H I J", [(1, 2, 3, 5, 4), (1, 2, 3, 6, 4)],
           note="(MaxViT's spelling: upper case, spaces)")
    einsum("einsum_permuted", "abcd,cbe->eda", [(2, 3, 4, 5), (4, 3, 6)],
           note="(two summed labels, rows d,a and column e, the output in yet another order)")
    einsum("einsum_implicit", "ij,jk", [(3, 4), (4, 5)], note="(implicit output: ik)")
    einsum("einsum_transpose", "ijk->kij", [(3, 4, 5)], note="(one operand permuted)")
    einsum("einsum_outer", "i,j->ij", [(3,), (4,)], note="(no summed label: an outer product)")


def reductions():
    def reduce(name, op, x_shape, opset, axes=None, as_input=False, **attrs):
        rng = rng_for(name)
        x = randn(rng, *x_shape)
        inits, ins = [], ["X"]
        if axes is not None and as_input:
            inits, ins = [i64("axes", axes)], ["X", "axes"]
        elif axes is not None:
            attrs["axes"] = axes
        shown = ", ".join(f"{k} {v}" for k, v in attrs.items())
        case(name, [node(op, ins, ["Y"], **attrs)], [("X", x)], inits=inits, opset=opset, ir_version=ir_for(opset),
             note=f"{op} of {'x'.join(map(str, x_shape))}"
                  + (f", axes {axes} as {'an input' if as_input else 'an attribute'}" if axes is not None else "")
                  + (f", {shown}" if shown else "") + f" (opset {opset})")

    reduce("reducel2_last", "ReduceL2", (2, 3, 8), 13, axes=[-1], keepdims=1)
    reduce("reducel2_axes_input", "ReduceL2", (2, 3, 4, 5), 18, axes=[1, 3], as_input=True, keepdims=0)
    reduce("reducesum_all", "ReduceSum", (2, 3, 4), 13, keepdims=0)
    reduce("reducesum_axes_input", "ReduceSum", (2, 3, 4), 13, axes=[0, -1], as_input=True)
    reduce("reducesum_noop", "ReduceSum", (2, 3, 4), 13, noop_with_empty_axes=1)
    reduce("reducemean_empty_axes", "ReduceMean", (2, 3, 4), 18, axes=[], as_input=True, keepdims=0)
    reduce("reducemax_axis", "ReduceMax", (3, 4, 5), 13, axes=[1], keepdims=0)
    reduce("reducemin_axes_input", "ReduceMin", (3, 4, 5), 18, axes=[0, 2], as_input=True)


def transformer_norms():
    def gelu(name, approximate):
        rng = rng_for(name)
        x = randn(rng, 2, 4, 7, 8, scale=3.0)
        case(name, [node("Gelu", ["X"], ["Y"], approximate=approximate)], [("X", x)], opset=20, ir_version=ir_for(20),
             note=f"approximate '{approximate}' (opset 20)")

    unary("erf", "Erf", note="opset 13")
    gelu("gelu_none", "none")
    gelu("gelu_tanh", "tanh")

    name = "layernorm_last_axis"
    rng = rng_for(name)
    x = randn(rng, 2, 5, 8, scale=3.0) + 1
    case(name, [node("LayerNormalization", ["X", "scale", "B"], ["Y"], epsilon=1e-5)], [("X", x)],
         inits=[raw("scale", randn(rng, 8)), raw("B", randn(rng, 8))], opset=17,
         note="axis -1 (the default), epsilon 1e-5, scale and bias of 8 (ViT's layer norm in small)")

    name = "layernorm_stats_axis1"
    rng = rng_for(name)
    x = randn(rng, 2, 3, 4, 5, scale=2.0) - 1
    nodes = [node("LayerNormalization", ["X", "scale"], ["N", "mean", "inv"], axis=1, epsilon=1e-3),
             node("Mul", ["mean", "inv"], ["mi"]), node("Add", ["N", "mi"], ["Y"])]
    case(name, nodes, [("X", x)], inits=[raw("scale", randn(rng, 4, 5))], opset=17,
         note="axis 1 (normalised over 3x4x5), epsilon 1e-3, scale 4x5 broadcast, no bias; "
              "Y = normalised + Mean * InvStdDev (both 2x1x1x1 outputs checked)")

    name = "groupnorm_opset21"
    rng = rng_for(name)
    x = randn(rng, 2, 6, 4, 5, scale=2.0) + 0.5
    case(name, [node("GroupNormalization", ["X", "scale", "B"], ["Y"], num_groups=3, epsilon=1e-5)], [("X", x)],
         inits=[raw("scale", randn(rng, 6)), raw("B", randn(rng, 6))], opset=21, ir_version=ir_for(21),
         note="6 channels in 3 groups, scale and bias per channel (opset 21)")



# ---------------------------------------------------------------- networks

def count_params(inits):
    return int(sum(int(np.prod(t.dims)) for t in inits))


def intermediate_shapes(model, names, feeds):
    """Shapes from onnx.shape_inference, checked against onnxruntime."""
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    vis = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    shapes = {}
    for n in names:
        dims = vis[n].type.tensor_type.shape.dim
        shapes[n] = [d.dim_value for d in dims]
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    for n in names:
        m.graph.output.append(vis[n])
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    for n, v in zip(names, sess.run(names, feeds)):
        if list(v.shape) != shapes[n]:
            SURPRISES.append(f"lenet5: {n}: shape inference {shapes[n]} vs ORT {list(v.shape)}")
    return shapes


def networks():
    name = "lenet5"
    rng = rng_for(name)
    x = randn(rng, 1, 1, 32, 32)

    def w(*shape):
        return randn(rng, *shape, scale=1.0 / np.sqrt(np.prod(shape[1:])))

    inits = [
        raw("c1.W", w(6, 1, 5, 5)), raw("c1.B", randn(rng, 6, scale=0.1)),
        raw("c3.W", w(16, 6, 5, 5)), raw("c3.B", randn(rng, 16, scale=0.1)),
        raw("c5.W", w(120, 16, 5, 5)), raw("c5.B", randn(rng, 120, scale=0.1)),
        raw("f6.W", w(84, 120)), raw("f6.B", randn(rng, 84, scale=0.1)),
        raw("output.W", w(10, 84)), raw("output.B", randn(rng, 10, scale=0.1)),
    ]
    nodes = [
        node("Conv", ["X", "c1.W", "c1.B"], ["c1"], name="c1", kernel_shape=[5, 5]),
        node("Relu", ["c1"], ["c1.relu"], name="c1.relu"),
        node("MaxPool", ["c1.relu"], ["s2"], name="s2", kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["s2", "c3.W", "c3.B"], ["c3"], name="c3", kernel_shape=[5, 5]),
        node("Relu", ["c3"], ["c3.relu"], name="c3.relu"),
        node("MaxPool", ["c3.relu"], ["s4"], name="s4", kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["s4", "c5.W", "c5.B"], ["c5"], name="c5", kernel_shape=[5, 5]),
        node("Relu", ["c5"], ["c5.relu"], name="c5.relu"),
        node("Flatten", ["c5.relu"], ["flatten"], name="flatten", axis=1),
        node("Gemm", ["flatten", "f6.W", "f6.B"], ["f6"], name="f6", transB=1),
        node("Relu", ["f6"], ["f6.relu"], name="f6.relu"),
        node("Gemm", ["f6.relu", "output.W", "output.B"], ["output"], name="output", transB=1),
        node("Softmax", ["output"], ["prob"], name="softmax", axis=-1),
    ]
    params = count_params(inits)
    if params != 61706:
        SURPRISES.append(f"lenet5: {params} parameters, expected 61706")
    model = case(name, nodes, [("X", x)], inits=inits,
                 note="LeNet-5 (lecture layout) on 1x1x32x32: Conv 6@5x5 -> Relu -> MaxPool 2 -> "
                      "Conv 16@5x5 -> Relu -> MaxPool 2 -> Conv 120@5x5 -> Relu -> Flatten -> "
                      "Gemm 120->84 -> Relu -> Gemm 84->10 -> Softmax. Nodes and their output "
                      "tensors are named c1, s2, c3, s4, c5, f6, output (Relus: NAME.relu); "
                      "weights NAME.W (Gemm: transB 1, W is out x in), NAME.B; "
                      "graph output 'prob' (softmax probabilities)",
                 extra={"params": params})
    names = ["c1", "s2", "c3", "s4", "c5", "flatten", "f6", "output", "prob"]
    MANIFEST[-1]["shapes"] = intermediate_shapes(model, names, {"X": x})

    name = "small_cnn"
    rng = rng_for(name)
    x = randn(rng, 2, 3, 16, 16)
    inits = [
        raw("conv1.W", w(8, 3, 3, 3)), raw("conv1.B", randn(rng, 8, scale=0.1)),
        raw("bn1.scale", (1 + randn(rng, 8, scale=0.2))), raw("bn1.B", randn(rng, 8, scale=0.2)),
        raw("bn1.mean", randn(rng, 8, scale=0.2)),
        raw("bn1.var", rng.uniform(0.5, 1.5, 8).astype(np.float32)),
        raw("conv2.W", w(16, 8, 3, 3)), raw("conv2.B", randn(rng, 16, scale=0.1)),
        raw("fc.W", w(10, 16)), raw("fc.B", randn(rng, 10, scale=0.1)),
    ]
    nodes = [
        node("Conv", ["X", "conv1.W", "conv1.B"], ["conv1"], kernel_shape=[3, 3],
             pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["conv1", "bn1.scale", "bn1.B", "bn1.mean", "bn1.var"],
             ["bn1"], epsilon=1e-5),
        node("Relu", ["bn1"], ["relu1"]),
        node("MaxPool", ["relu1"], ["pool1"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["pool1", "conv2.W", "conv2.B"], ["conv2"], kernel_shape=[3, 3],
             pads=[1, 1, 1, 1]),
        node("Relu", ["conv2"], ["relu2"]),
        node("GlobalAveragePool", ["relu2"], ["gap"]),
        node("Flatten", ["gap"], ["flatten"], axis=1),
        node("Gemm", ["flatten", "fc.W", "fc.B"], ["logits"], transB=1),
    ]
    case(name, nodes, [("X", x)], inits=inits,
         note="2x3x16x16: Conv 8@3x3 pad 1 -> BatchNormalization -> Relu -> MaxPool 2 -> "
              "Conv 16@3x3 pad 1 -> Relu -> GlobalAveragePool -> Flatten -> Gemm 16->10 "
              "(transB 1); output logits 2x10",
         extra={"params": count_params(inits)})


def fusions():
    """Activations cnnfilter folds into the layer before them (a Conv or Add whose only reader is a
    Relu or a Clip with constant bounds), next to outputs that must not be folded."""
    name = "fused_activations"
    rng = rng_for(name)
    x = randn(rng, 1, 64, 24, 25)

    def w(*shape):
        return randn(rng, *shape, scale=1.0 / np.sqrt(np.prod(shape[1:])))

    inits = [
        raw("c1.W", w(16, 64, 3, 3)), raw("c1.B", randn(rng, 16, scale=0.5)), raw("six", np.array(6.0, np.float32)),
        raw("dw.W", w(16, 1, 3, 3) * 2), raw("dw.B", randn(rng, 16, scale=0.5)),
        raw("pw.W", w(16, 16, 1, 1)), raw("q.W", w(8, 16, 3, 3)), raw("q.B", randn(rng, 8, scale=0.5)),
    ]
    nodes = [
        helper.make_node("Constant", [], ["zero"], name="zero", value=numpy_helper.from_array(np.array(0.0, np.float32))),
        node("Conv", ["X", "c1.W", "c1.B"], ["c1"], pads=[1, 1, 1, 1]),
        node("Clip", ["c1", "zero", "six"], ["a1"]),
        node("Conv", ["a1", "dw.W", "dw.B"], ["dw"], group=16, pads=[1, 1, 1, 1]),
        node("Relu", ["dw"], ["dw.relu"]),
        node("Conv", ["dw.relu", "pw.W"], ["pw"]),
        node("Add", ["pw", "a1"], ["sum"]),
        node("Relu", ["sum"], ["sum.relu"]),
        node("Conv", ["sum.relu", "q.W", "q.B"], ["q"], pads=[1, 1, 1, 1]),
        node("Relu", ["q"], ["q.relu"]),
        node("Add", ["q.relu", "q"], ["Y"]),
    ]
    case(name, nodes, [("X", x)], inits=inits, opset=13,
         note="1x64x24x25: Conv 64->16 3x3 (Winograd) -> Clip(Constant 0, initializer 6) -> depthwise "
              "3x3 -> Relu -> Conv 1x1 -> Add(a1) -> Relu -> Conv 16->8 3x3 -> Relu, and Y = Relu(q) + q "
              "(q has two readers: its Relu is not folded)")

    name = "fused_clip_opset6"
    rng = rng_for(name)
    x = randn(rng, 1, 3, 9, 11)
    inits = [raw("W", randn(rng, 8, 3, 3, 3, scale=0.4)), raw("B", randn(rng, 8, scale=0.5))]
    nodes = [node("Conv", ["X", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
             node("Clip", ["c"], ["Y"], min=-0.5, max=0.75)]
    case(name, nodes, [("X", x)], inits=inits, opset=6, ir_version=3, inits_as_inputs=True,
         note="Conv 3->8 then Clip with opset 6's min/max attributes [-0.5, 0.75]")


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    convolutions()
    transposed_convolutions()
    casts()
    activations()
    pooling()
    normalization()
    linear()
    shapes()
    logic()
    index_ops()
    einsums()
    reductions()
    transformer_norms()
    networks()
    fusions()
    (OUT / "manifest.json").write_text(json.dumps(MANIFEST, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(MANIFEST)} cases, {total} bytes in {OUT.relative_to(ROOT)}")
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    for s in SURPRISES:
        print("SURPRISE:", s)


if __name__ == "__main__":
    main()
