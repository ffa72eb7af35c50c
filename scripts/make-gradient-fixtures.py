#!/usr/bin/env python3
"""Make the reference gradient fixtures for cnnfilter's backward pass.

Writes small PyTorch models exported to ONNX, together with one batch, its
labels, and what PyTorch autograd says about that batch at the initial
weights: the loss, dLoss/dInput, dLoss/dParameter for every trainable
parameter, and every parameter and BatchNorm running statistic after one plain
SGD step.  PyTorch is the reference: the Swift backward pass over the ONNX
graph is tested against these numbers.  Do not "fix" a fixture by editing its
files: change this script and rerun it.

Made with torch 2.15.0 (CPU, one thread), onnx 1.23.2, onnxruntime 1.32.0 and
numpy 2.4.6.  Other versions should give the same files up to float rounding
(the ONNX files also record the torch version as producer_version).

Rerun from the repository root (takes about 5 s):

    pip install torch onnx onnxruntime numpy
    python3 scripts/make-gradient-fixtures.py

The output folder Tests/NeuralNetTests/Fixtures/gradients/ is deleted and
rebuilt on every run.  The output is deterministic: each case seeds torch from
a CRC32 of its name (adding a case does not change the others), no timestamps.
Everything is float32, as on the Swift side (no float64 anywhere in the
reference); no dropout or other randomness inside the models.

Export
------
torch.onnx.export(model_in_eval_mode, dynamo=False, opset_version=17,
do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
keep_initializers_as_inputs=False), input named "input" (N x C x H x W float32,
static shape, batch 4), one output named "output" (the logits N x K; for the
mse case the N x C x H x W map; for the logsoftmax case log-probabilities).

With PRESERVE on an eval-mode module the legacy exporter does not run its eval
peephole (which would fold BatchNormalization into the preceding Conv), so each
BatchNorm2d stays one ONNX node:
    BatchNormalization(X, scale, B, input_mean, input_var) -> Y
    attributes epsilon = 1e-5 (as float32: 9.99999975e-06),
               momentum = 0.9 (ONNX convention: running = running * momentum
               + batch * (1 - momentum); PyTorch's momentum 0.1),
               training_mode = 0;
    ONE output (no running-mean/var outputs).
scale and B are the trainable initializers "<module>.weight" and
"<module>.bias", input_mean and input_var the buffer initializers
"<module>.running_mean" and "<module>.running_var".  The graph is the INFERENCE
graph: in eval mode onnxruntime's output matches torch's eval output (asserted,
max abs difference <= 1e-5).  The fixtures' gradients are those of TRAIN mode:
BatchNorm normalises with the batch mean and the biased batch variance, and
updates its running statistics with the unbiased batch variance
(running_var = 0.9 * running_var + 0.1 * var * n / (n - 1), n = N*H*W).  A
trainer has to run the BN node as if training_mode were 1.

Every state_dict entry is its own initializer, named exactly as in the
state_dict ("conv1.weight", "bn1.running_mean", ...).  The script checks this
by name and by value.  num_batches_tracked (int64) is not used by the graph and
is not exported.  Beware: in eval mode the exporter deduplicates initializers
with equal values (default-initialised BN has weight == running_var == 1 and
bias == running_mean == 0, which became Identity nodes); the script therefore
draws BN weight, bias and running statistics at random, and asserts that no
Identity node reads an initializer.  A weight shared by two nodes (case
"shared") is one initializer read by both.

Per case NAME, in Tests/NeuralNetTests/Fixtures/gradients/NAME/:
  model.onnx        the model (checked with onnx.checker.check_model(full_check))
  input.npy         float32 N x C x H x W
  labels.npy        int64 N (class indices; written for the mse case too, unused)
  target.npy        float32, same shape as the output (mse case only)
  output.npy        float32, torch's TRAIN-mode output for input.npy at the
                    initial weights (the output the loss is computed from)
  grad_input.npy    float32, dLoss/dInput in train mode at the initial weights
  grads/INIT.npy    float32, dLoss/dINIT for every trainable initializer INIT
                    (same shape as the initializer)
  saliency.npy      (classifiers) float32, the input gradient of each item's top
                    class score (its largest EVAL-mode logit), what `cnnfilter
                    explain --method saliency` computes
  guided.npy        (classifiers whose every ONNX Relu is an nn.ReLU module) float32, guided
                    backpropagation of each item's top class score: the input gradient with
                    a full backward hook on every nn.ReLU module that keeps only the positive
                    part of the gradient it passes back (so each ReLU passes g where its input
                    was positive and g > 0), in eval mode; what `cnnfilter explain --method
                    guided` computes.  Cases with functional relu (F.relu, which no hook sees)
                    have none.
  gradcam.npy       (classifiers) float32 N x h x w, Grad-CAM from the published
                    formula with PyTorch hooks on the input of the model's last
                    pooling layer (ONNX value "gradcam_layer" in the manifest):
                    ReLU(sum_k alpha_k A_k), alpha_k the spatial mean of d score
                    / d A_k, in eval mode, before any upsampling
  after/INIT.npy    float32, every trainable initializer after ONE
                    torch.optim.SGD(lr, momentum=0, weight_decay=0) step on this
                    batch in train mode, and every BN running_mean/running_var
                    after that one train-mode forward pass
manifest.json (a list, one object per case):
  "name"            case name = folder name
  "loss"            "cross_entropy": mean over the batch of
                      F.cross_entropy(output, labels, label_smoothing=ls);
                    "mse": mean over all elements of (output - target)^2;
                    "nll": mean over the batch of -output[i, labels[i]]
                      (the output is already log-probabilities)
  "label_smoothing" float (0.0 unless stated; only cross_entropy uses it)
  "lr"              float, plain SGD learning rate
  "loss_value"      float, the train-mode loss at the initial weights
  "parameters"      {onnx initializer name: state_dict name}, trainable
  "buffers"         {onnx initializer name: state_dict name}, BN running stats
  "ops"             sorted list of the ONNX op types in the model
  "bn_momentum"     0.1 (PyTorch convention), only in cases with BatchNorm
  "bn_epsilon"      1e-05, only in cases with BatchNorm
  "output_is_log_probabilities"  true, only in the logsoftmax case
  "input_shape", "output_shape"  lists of ints
  "note"            what the model is

Cases
-----
residual    stem conv3x3 (added, so that the block input is an inner value
            read by two nodes), then conv3x3-BN-ReLU-conv3x3-BN + block
            input, ReLU, global average pool, flatten, Linear.  Convs before
            BN have no bias (a bias before train-mode BN has zero gradient).
depthwise   conv1x1, depthwise conv3x3 (groups = channels, stride 2, pad 1,
            no bias), BN, Hardswish (HardSwish), pointwise conv, ReLU6 (Clip
            with min/max as Constant inputs), MaxPool 2, flatten, Linear.
concat      conv1x1 and conv3x3 (dilation 2, pad 2) both reading the input,
            Concat on channels, AvgPool2d(3, 2, 1, count_include_pad=False),
            LeakyRelu(0.1), flatten, Linear.
strided     conv kernel (3,2) stride (2,1) pad (1,0); sigmoid * tanh + ELU;
            conv 3x3 stride 2 no pad no bias; SELU + Softplus * HardSigmoid;
            MaxPool2d(3, 2, 1); flatten; Linear; label smoothing 0.1.
shared      one conv module applied twice (one weight initializer read by two
            Conv nodes), ReLU between, PReLU (4 slopes; exported as
            Unsqueeze(slope, [1, 2]) feeding PRelu), flatten, Linear (Gemm);
            then a 5x5 Linear's weight W used twice:
            out = ((logits @ W^T) + b) @ W (Transpose + MatMul, MatMul, Add).
plumbing    conv, Split in two, Transpose (permute), Abs/Add/Div, Mul,
            Concat, Sub of a (C,1,1) parameter, Softmax over channels
            multiplied back, Pad (zeros), Reshape, Transpose, Unsqueeze,
            Squeeze, flatten, Linear.  Note: with do_constant_folding=False the
            legacy exporter computes Pad's "pads" input with a constant-only
            int64 subgraph (Constant, Shape, Gather, Mul, Sub, Cast,
            ConstantOfShape, Concat, Reshape, Slice, Transpose); those ops also
            appear in "ops" although they only ever see int64 constants.
            Because shape inference cannot see through that subgraph, the
            graph output's batch dimension is symbolic (dim_param
            "Gemmoutput_dim_0", shape [N, 5]) in this case only; every other
            case declares static shapes.  36% of fc.weight's gradient is
            exactly zero (the features that are Pad's zero border).
mse         conv-BN-ReLU-AvgPool2d(3, 1, 1, count_include_pad=True)-conv1x1;
            the output is a 2-channel map, loss mse against target.npy.
            AveragePool exports with count_include_pad=1 and pads (no Pad).
logsoftmax  conv, ReLU, flatten, Linear, LogSoftmax(dim 1); loss "nll".
guided      a grey (1-channel) input, conv3x3-ReLU, conv3x3-BN-ReLU, MaxPool 2,
            conv3x3-ReLU, global average pool, flatten, Linear, every ReLU an
            nn.ReLU module (guided backpropagation's hooks reach them).
"""

import json
import shutil
import warnings
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/NeuralNetTests/Fixtures/gradients"

BATCH = 4
CLASSES = 5
LR = 0.1
OPSET = 17

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


def seed_for(name):
    return zlib.crc32(name.encode())


def randomize_bn(model, gen):
    """Random BN affine parameters and running statistics: non-trivial values,
    and no two initializers equal (the eval-mode exporter would merge them)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(1.0 + 0.3 * torch.randn(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.3 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))


# ---------------------------------------------------------------- models

class Residual(nn.Module):
    def __init__(self, c_in=3, c=4, k=CLASSES):
        super().__init__()
        self.stem = nn.Conv2d(c_in, c, 3, padding=1)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, k)

    def forward(self, x):
        x = self.stem(x)
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        h = F.relu(h + x)
        return self.fc(torch.flatten(self.pool(h), 1))


class Depthwise(nn.Module):
    def __init__(self, c_in=3, c=8, c_out=6, k=CLASSES, hw=16):
        super().__init__()
        self.expand = nn.Conv2d(c_in, c, 1)
        self.dw = nn.Conv2d(c, c, 3, stride=2, padding=1, groups=c, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.Hardswish()
        self.pw = nn.Conv2d(c, c_out, 1)
        self.relu6 = nn.ReLU6()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(c_out * (hw // 4) ** 2, k)

    def forward(self, x):
        h = self.act(self.bn(self.dw(self.expand(x))))
        h = self.pool(self.relu6(self.pw(h)))
        return self.fc(torch.flatten(h, 1))


class Concat(nn.Module):
    def __init__(self, c_in=3, c=4, k=CLASSES, hw=12):
        super().__init__()
        self.a = nn.Conv2d(c_in, c, 1)
        self.b = nn.Conv2d(c_in, c, 3, padding=2, dilation=2)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.act = nn.LeakyReLU(0.1)
        self.fc = nn.Linear(2 * c * (hw // 2) ** 2, k)

    def forward(self, x):
        h = torch.cat([self.a(x), self.b(x)], dim=1)
        return self.fc(torch.flatten(self.act(self.pool(h)), 1))


class Strided(nn.Module):
    # 16x16 -> conv1 8x15 -> conv2 3x7 -> pool 2x4
    def __init__(self, c_in=3, c1=4, c2=6, k=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c1, (3, 2), stride=(2, 1), padding=(1, 0))
        self.conv2 = nn.Conv2d(c1, c2, 3, stride=2, padding=0, bias=False)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(c2 * 2 * 4, k)

    def forward(self, x):
        h = self.conv1(x)
        h = torch.sigmoid(h) * torch.tanh(h) + F.elu(h)
        h = self.conv2(h)
        h = F.selu(h) + F.softplus(h) * F.hardsigmoid(h)
        return self.fc(torch.flatten(self.pool(h), 1))


class Shared(nn.Module):
    def __init__(self, c=4, k=CLASSES, hw=8):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.prelu = nn.PReLU(c, init=0.25)
        self.fc = nn.Linear(c * hw * hw, k)
        self.mix = nn.Linear(k, k)

    def forward(self, x):
        h = self.conv(F.relu(self.conv(x)))
        logits = self.fc(torch.flatten(self.prelu(h), 1))
        w = self.mix.weight
        y = torch.matmul(logits, w.t()) + self.mix.bias
        return torch.matmul(y, w)


class Plumbing(nn.Module):
    def __init__(self, c_in=4, c=6, k=CLASSES, hw=8):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c, 3, padding=1)
        self.offset = nn.Parameter(torch.zeros(c, 1, 1))
        self.fc = nn.Linear(c * (hw + 2) ** 2, k)
        self.c, self.hw = c, hw

    def forward(self, x):
        h = self.conv(x)                                  # N x 6 x 8 x 8
        a, b = torch.split(h, self.c // 2, dim=1)         # Split -> 2 x (N x 3 x 8 x 8)
        a = a.permute(0, 1, 3, 2)                         # Transpose
        m = a * b                                         # Mul
        d = a / (1 + b.abs())                             # Abs, Add, Div
        c = torch.cat([m, d], dim=1)                      # Concat, N x 6 x 8 x 8
        c = c - self.offset                               # Sub, broadcast (6,1,1)
        c = c * torch.softmax(c, dim=1)                   # Softmax over channels, Mul
        c = F.pad(c, (1, 1, 1, 1))                        # Pad zeros, N x 6 x 10 x 10
        r = c.reshape(-1, self.c, (self.hw + 2) ** 2)     # Reshape, N x 6 x 100
        r = r.transpose(1, 2)                             # Transpose, N x 100 x 6
        r = r.unsqueeze(1).squeeze(1)                     # Unsqueeze, Squeeze
        return self.fc(torch.flatten(r, 1))


class MseNet(nn.Module):
    def __init__(self, c_in=3, c=4, c_out=2):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.conv2 = nn.Conv2d(c, c_out, 1)

    def forward(self, x):
        return self.conv2(self.pool(F.relu(self.bn(self.conv1(x)))))


class LogSoftmaxNet(nn.Module):
    def __init__(self, c_in=3, c=4, k=CLASSES, hw=8):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c, 3, stride=2, padding=1)
        self.fc = nn.Linear(c * (hw // 2) ** 2, k)

    def forward(self, x):
        h = torch.flatten(F.relu(self.conv(x)), 1)
        return F.log_softmax(self.fc(h), dim=1)


class Transformer(nn.Module):
    """A vision transformer in small: 4x4 patches, one pre-norm block (attention with einsum, a GELU MLP),
    the tokens back as a map, global average pooling (Grad-CAM's layer) and a linear head."""

    def __init__(self, c_in=3, c=8, heads=2, k=CLASSES):
        super().__init__()
        self.heads = heads
        self.patch = nn.Conv2d(c_in, c, 4, stride=4)
        self.norm1, self.norm2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.mlp1, self.mlp2 = nn.Linear(c, 2 * c), nn.Linear(2 * c, c)
        self.pool, self.head = nn.AdaptiveAvgPool2d(1), nn.Linear(c, k)
        with torch.no_grad():  # layer norms start at 1 and 0, equal values the exporter would share
            for norm in (self.norm1, self.norm2):
                norm.weight.copy_(1 + 0.3 * torch.randn(c))
                norm.bias.copy_(0.3 * torch.randn(c))

    def forward(self, x):
        m = self.patch(x)                                 # N x C x 4 x 4
        _, c, h, w = m.shape                              # -1 for N: the graph runs at any batch size
        t = m.flatten(2).transpose(1, 2)                  # N x 16 tokens x C
        q, k, v = self.qkv(self.norm1(t)).reshape(-1, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        scores = torch.einsum("bhid,bhjd->bhij", q, k) * (c // self.heads) ** -0.5
        a = torch.einsum("bhij,bhjd->bhid", scores.softmax(dim=-1), v)
        t = t + self.proj(a.transpose(1, 2).reshape(-1, h * w, c))
        t = t + self.mlp2(F.gelu(self.mlp1(self.norm2(t))))
        m = t.transpose(1, 2).reshape(-1, c, h, w)
        return self.head(torch.flatten(self.pool(m), 1))


class GuidedNet(nn.Module):
    def __init__(self, c_in=1, k=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, 6, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, k)

    def forward(self, x):
        h = self.pool(self.relu2(self.bn(self.conv2(self.relu1(self.conv1(x))))))
        return self.fc(torch.flatten(self.gap(self.relu3(self.conv3(h))), 1))


# name, model class, input (C, H, W), loss, label smoothing, note
CASES = [
    ("residual", Residual, (3, 8, 8), "cross_entropy", 0.0,
     "stem conv3x3, conv3x3-BN-ReLU-conv3x3-BN + block input (skip), ReLU, "
     "GlobalAveragePool, Flatten, Gemm"),
    ("depthwise", Depthwise, (3, 16, 16), "cross_entropy", 0.0,
     "conv1x1, depthwise conv3x3 stride 2 pad 1 (group 8), BN, HardSwish, "
     "conv1x1, ReLU6 (Clip), MaxPool 2, Flatten, Gemm"),
    ("concat", Concat, (3, 12, 12), "cross_entropy", 0.0,
     "conv1x1 and conv3x3 dilation 2 pad 2 on the input, Concat, "
     "AveragePool 3 stride 2 pad 1 count_include_pad=0, LeakyRelu 0.1, Flatten, Gemm"),
    ("strided", Strided, (3, 16, 16), "cross_entropy", 0.1,
     "conv (3,2) stride (2,1) pad (1,0); sigmoid*tanh + elu; conv 3x3 stride 2 "
     "no pad no bias; selu + softplus*hardsigmoid; MaxPool 3 stride 2 pad 1; "
     "Flatten, Gemm; label smoothing 0.1"),
    ("shared", Shared, (4, 8, 8), "cross_entropy", 0.0,
     "one conv weight read by two Conv nodes, ReLU between, PRelu (per channel), "
     "Flatten, Gemm, then out = ((logits @ W^T) + b) @ W with one 5x5 W"),
    ("plumbing", Plumbing, (4, 8, 8), "cross_entropy", 0.0,
     "conv, Split, Transpose, Abs/Add/Div, Mul, Concat, Sub of a (6,1,1) "
     "parameter, Softmax(axis 1) * x, Pad, Reshape, Transpose, Unsqueeze, "
     "Squeeze, Flatten, Gemm"),
    ("transformer", Transformer, (3, 16, 16), "cross_entropy", 0.0,
     "4x4 patch conv, tokens (Reshape, Transpose), LayerNormalization, qkv MatMul, Einsum q.k^T, Softmax, "
     "Einsum weights.v, projection, residual Add, LayerNormalization, MLP with GELU (Div, Erf, Add, Mul), "
     "residual, tokens back to a 4x4 map, GlobalAveragePool, Gemm"),
    ("mse", MseNet, (3, 8, 8), "mse", 0.0,
     "conv-BN-ReLU-AveragePool 3 stride 1 pad 1 count_include_pad=1-conv1x1, "
     "output N x 2 x 8 x 8, mse against target.npy"),
    ("logsoftmax", LogSoftmaxNet, (3, 8, 8), "nll", 0.0,
     "conv stride 2, ReLU, Flatten, Gemm, LogSoftmax(axis 1); the output is "
     "log-probabilities, loss = mean -output[i, label[i]]"),
    ("guided", GuidedNet, (1, 12, 12), "cross_entropy", 0.0,
     "grey input; conv3x3-ReLU, conv3x3-BN-ReLU, MaxPool 2, conv3x3-ReLU, "
     "GlobalAveragePool, Flatten, Gemm; every ReLU an nn.ReLU module"),
]


def loss_fn(kind, out, labels, target, smoothing):
    if kind == "cross_entropy":
        return F.cross_entropy(out, labels, label_smoothing=smoothing)
    if kind == "mse":
        return F.mse_loss(out, target)
    if kind == "nll":
        return F.nll_loss(out, labels)
    raise ValueError(kind)


def export(model, x):
    """Export the eval-mode model; returns the onnx ModelProto."""
    import io
    assert not model.training
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), f, dynamo=False, opset_version=OPSET,
                          do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          keep_initializers_as_inputs=False,
                          input_names=["input"], output_names=["output"])
    assert not model.training
    return onnx.load_from_string(f.getvalue())


def run_ort(proto, x):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})[0]


def check_graph(name, proto, model):
    """Map every state_dict entry to its initializer, check the BN nodes."""
    onnx.checker.check_model(proto, full_check=True)
    g = proto.graph
    assert [i.name for i in g.input] == ["input"], [i.name for i in g.input]
    assert len(g.output) == 1 and g.output[0].name == "output"
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in g.initializer}
    sd = model.state_dict()
    param_names = {n for n, _ in model.named_parameters()}
    parameters, buffers = {}, {}
    for key, value in sd.items():
        if key.endswith("num_batches_tracked"):
            assert key not in inits
            continue
        assert key in inits, f"{name}: {key} is not an initializer ({sorted(inits)})"
        assert inits[key].dtype == np.float32
        assert np.array_equal(inits[key], value.numpy()), f"{name}: {key} value differs"
        (parameters if key in param_names else buffers)[key] = key
    extra = set(inits) - set(parameters) - set(buffers)
    assert not extra, f"{name}: unexpected initializers {extra}"
    for n in g.node:
        if n.op_type == "Identity":
            assert not set(n.input) & set(inits), f"{name}: deduplicated initializer {n.input}"
    bns = []
    for n in g.node:
        if n.op_type == "BatchNormalization":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            assert attrs.get("training_mode", 0) == 0 and len(n.output) == 1, (name, attrs)
            assert abs(attrs["momentum"] - 0.9) < 1e-6 and abs(attrs["epsilon"] - 1e-5) < 1e-9
            assert all(i in inits for i in n.input[1:]), n.input
            assert set(n.input[1:3]) <= set(parameters) and set(n.input[3:5]) <= set(buffers)
            bns.append(n)
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert len(bns) == n_bn, f"{name}: {len(bns)} BN nodes for {n_bn} BatchNorm2d"
    return parameters, buffers, sorted({n.op_type for n in g.node}), bns


def explanations(model, proto, x):
    """Saliency and Grad-CAM references in eval mode: the gradient of each item's top class score
    with respect to the input, and Grad-CAM on the input of the model's last pooling layer (a forward
    pre-hook keeps that tensor, whose gradient autograd then gives)."""
    pools = [m for m in model.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.MaxPool2d, nn.AvgPool2d))]
    onnx_pools = [n for n in proto.graph.node if n.op_type in ("GlobalAveragePool", "MaxPool", "AveragePool")]
    if not pools or not onnx_pools:
        return None
    kept = {}

    def hook(_, args):
        args[0].retain_grad()
        kept["maps"] = args[0]

    handle = pools[-1].register_forward_pre_hook(hook)
    xg = x.clone().requires_grad_(True)
    out = model(xg)
    handle.remove()
    classes = out.argmax(dim=1)
    out.gather(1, classes[:, None]).sum().backward()
    maps, grads = kept["maps"].detach(), kept["maps"].grad
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((alpha * maps).sum(dim=1))
    result = {"saliency": xg.grad.numpy().astype(np.float32), "gradcam": cam.numpy().astype(np.float32),
              "classes": [int(c) for c in classes], "layer": onnx_pools[-1].input[0]}
    guided = guided_backpropagation(model, proto, x, classes)
    if guided is not None:
        result["guided"] = guided
    return result


def guided_backpropagation(model, proto, x, classes):
    """Guided backpropagation with hooks on the nn.ReLU modules: each one's gradient with respect to
    its input (g where the input was positive) loses its negative part. None unless every ONNX Relu
    node is such a module (a functional relu would be exported as a Relu that no hook reaches)."""
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if len(relus) != sum(n.op_type == "Relu" for n in proto.graph.node):
        return None

    def positive(_, grad_input, grad_output):
        return (torch.clamp(grad_input[0], min=0),)

    handles = [m.register_full_backward_hook(positive) for m in relus]
    xg = x.clone().requires_grad_(True)
    model(xg).gather(1, classes[:, None]).sum().backward()
    for h in handles:
        h.remove()
    return xg.grad.numpy().astype(np.float32)


def make_case(name, cls, chw, kind, smoothing, note):
    seed = seed_for(name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = cls()
    randomize_bn(model, gen)
    if isinstance(model, Plumbing):
        with torch.no_grad():
            model.offset.copy_(0.3 * torch.randn(model.offset.shape, generator=gen))
    if isinstance(model, Shared):
        with torch.no_grad():  # random slopes: PReLU's default is 0.25 everywhere
            model.prelu.weight.copy_(0.1 + 0.3 * torch.rand(model.prelu.weight.shape, generator=gen))
    x = torch.randn(BATCH, *chw, generator=gen)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen, dtype=torch.int64)

    # Export and check the eval-mode graph against onnxruntime.
    model.eval()
    proto = export(model, x)
    parameters, buffers, ops, bns = check_graph(name, proto, model)
    with torch.no_grad():
        eval_out = model(x).numpy()
    ort_out = run_ort(proto, x.numpy())
    diff = float(np.max(np.abs(ort_out - eval_out)))
    assert ort_out.shape == eval_out.shape and diff <= 1e-5, f"{name}: ORT differs by {diff}"

    explained = explanations(model, proto, x) if kind != "mse" and kind != "nll" else None

    # Train-mode forward, backward, one SGD step.
    model.train()
    target = None
    xg = x.clone().requires_grad_(True)
    out = model(xg)
    if kind == "mse":
        target = torch.randn(out.shape, generator=gen)
    loss = loss_fn(kind, out, labels, target, smoothing)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.0, weight_decay=0.0)
    opt.zero_grad()
    loss.backward()
    named = dict(model.named_parameters())
    grads = {init: named[key].grad.detach().clone().numpy() for init, key in parameters.items()}
    opt.step()
    sd = model.state_dict()
    after = {init: sd[key].detach().clone().numpy() for init, key in {**parameters, **buffers}.items()}

    grad_input = xg.grad.numpy()
    for arr_name, g in [("input", grad_input)] + list(grads.items()):
        assert g.dtype == np.float32 and np.all(np.isfinite(g))
        assert np.max(np.abs(g)) > 1e-6, f"{name}: gradient of {arr_name} is zero"

    d = OUT / name
    (d / "grads").mkdir(parents=True)
    (d / "after").mkdir()
    (d / "model.onnx").write_bytes(proto.SerializeToString())
    np.save(d / "input.npy", x.numpy())
    np.save(d / "labels.npy", labels.numpy())
    np.save(d / "output.npy", out.detach().numpy())
    np.save(d / "grad_input.npy", grad_input)
    if target is not None:
        np.save(d / "target.npy", target.numpy())
    for init, g in grads.items():
        np.save(d / "grads" / f"{init}.npy", g)
    for init, a in after.items():
        assert a.dtype == np.float32
        np.save(d / "after" / f"{init}.npy", a)
    if explained is not None:
        np.save(d / "saliency.npy", explained["saliency"])
        np.save(d / "gradcam.npy", explained["gradcam"])
        if "guided" in explained:
            np.save(d / "guided.npy", explained["guided"])

    entry = {
        "name": name,
        "loss": kind,
        "label_smoothing": smoothing,
        "lr": LR,
        "loss_value": float(loss.item()),
        "parameters": parameters,
        "buffers": buffers,
        "ops": ops,
    }
    if bns:
        entry["bn_momentum"] = 0.1
        entry["bn_epsilon"] = 1e-5
    if kind == "nll":
        entry["output_is_log_probabilities"] = True
    if explained is not None:
        entry["top_classes"] = explained["classes"]
        entry["gradcam_layer"] = explained["layer"]
        entry["guided"] = "guided" in explained
    entry["input_shape"] = list(x.shape)
    entry["output_shape"] = list(out.shape)
    entry["note"] = note
    size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    return entry, {k: float(np.max(np.abs(v))) for k, v in grads.items()}, \
        float(np.max(np.abs(grad_input))), size, diff, bns


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    manifest, report = [], []
    for spec in CASES:
        entry, gmax, gin, size, diff, bns = make_case(*spec)
        manifest.append(entry)
        report.append((entry, gmax, gin, size, diff, bns))
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")

    for entry, gmax, gin, size, diff, bns in report:
        print(f"\n== {entry['name']}  ({size} bytes, loss {entry['loss']} = "
              f"{entry['loss_value']:.6f}, ORT eval max diff {diff:.2e})")
        print("   ops:", " ".join(entry["ops"]))
        for n in bns:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            print(f"   BN {n.name}: inputs {list(n.input)}, {len(n.output)} output, {attrs}")
        print(f"   max |grad| {'input':28s} {gin:.4e}")
        for k, v in gmax.items():
            print(f"   max |grad| {k:28s} {v:.4e}")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"\n{len(manifest)} cases, {total} bytes in {OUT.relative_to(ROOT)}")
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, "
          f"onnxruntime {ort.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
