#!/usr/bin/env python3
"""cnnfilter's ONNX runtime against onnxruntime on torchvision's classification zoo, both exporters.

    pip install torch torchvision onnx onnxruntime onnxscript numpy
    python3 scripts/check-zoo.py [--cnnfilter PATH] [--models convnext_tiny,vit_b_16] [--exporters legacy,dynamo]

For each model (torchvision, random weights: torch.manual_seed(0) before it is
built, model.eval(), no download) and each exporter, the script exports it with
scripts/verify-torchvision.py's export() to a temporary folder (--keep DIR keeps
them): `legacy` is torch.onnx.export(dynamo=False) at opset 17, `dynamo` is
torch.onnx.export(dynamo=True) at its default opset, with the weights in an
external MODEL.onnx.data file. One random 1x3xSxS input (numpy default_rng(0),
standard normal; S is 224, 299 for Inception v3) goes through onnxruntime
(CPUExecutionProvider, graph optimizations disabled: the reference) and
through `cnnfilter run MODEL --input x.npy -o y.npy`, and the table shows

    max|cnnfilter - onnxruntime| / max|onnxruntime|   (PASS at most 1e-4)

with PyTorch's own output against onnxruntime's for scale, the seconds
`cnnfilter run` took (loading included), and cnnfilter's one-line error when
it refuses a model.

Random weights can make a check mean little: torchvision starts ViT's head at
zero (every output 0) and ConvNeXt's layer scales at 1e-6 (every block nearly
the identity). So every parameter whose values are all equal (zeros, ones,
1e-6) gets N(0, 0.1^2) noise added (generator seeded 0) before the export;
the other parameters keep torchvision's initialisation.

Not part of `make test`: exporting takes minutes and the models hundreds of MB.
Exit status 1 if any check fails.
"""
import argparse
import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("verify_torchvision", os.path.join(HERE, "verify-torchvision.py"))
vt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vt)

# One or two of each family of torchvision's classification models.
ZOO = ["alexnet", "vgg11", "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "densenet121",
       "googlenet", "inception_v3", "squeezenet1_1", "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5",
       "shufflenet_v2_x1_0", "efficientnet_b0", "efficientnet_v2_s", "regnet_y_400mf", "convnext_tiny",
       "vit_b_16", "swin_t", "swin_v2_t", "maxvit_t"]
TOLERANCE = 1e-4
NOISE = 0.1


def build(name):
    """torchvision's `name` with random weights; parameters whose values are all equal get noise."""
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
    model = torchvision.models.get_model(name, weights=None, **kwargs).eval()
    noise = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() > 0 and bool((p == p.flatten()[0]).all()):
                p.add_(torch.randn(p.shape, generator=noise) * NOISE)
    return model


def check(binary, name, exporter, folder):
    """One row: (opset, nodes, error or None, relative error, torch's relative error, seconds)."""
    size = 299 if name == "inception_v3" else 224
    shape = (1, 3, size, size)
    path = os.path.join(folder, f"{name}.{exporter}.onnx")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x_path = os.path.join(folder, f"x{size}.npy")
    np.save(x_path, x)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch_out = vt.export(name, path, model=build(name), shape=shape, dynamo=exporter == "dynamo")
    proto = onnx.load(path, load_external_data=False)
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    want = vt.session(path, 1, optimize=False).run(None, {proto.graph.input[0].name: x})[0].astype(np.float64)
    start = time.perf_counter()
    got, error = vt.run_ours(binary, path, x_path, os.path.join(folder, f"{name}.{exporter}.y.npy"))
    seconds = time.perf_counter() - start
    if error is None and got.shape != want.shape:
        error = f"shape {list(got.shape)}, onnxruntime {list(want.shape)}"
    if float(np.max(np.abs(want))) == 0:
        error = error or "onnxruntime's output is all zeros: the check would mean nothing"
    err = None if error else vt.relative_error(got, want)
    return opset, len(proto.graph.node), error, err, vt.relative_error(torch_out, want), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnfilter", default=os.path.join(vt.ROOT, ".build/release/cnnfilter"), help="the binary")
    parser.add_argument("--models", default=",".join(ZOO), help="comma-separated torchvision model names")
    parser.add_argument("--exporters", default="legacy,dynamo", help="legacy, dynamo or both")
    parser.add_argument("--keep", help="export into this folder and keep the models")
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    exporters = [e for e in args.exporters.split(",") if e]
    known = set(torchvision.models.list_models(module=torchvision.models))
    for n in names:
        if n not in known:
            parser.error(f"unknown classification model {n}")
    for e in exporters:
        if e not in ("legacy", "dynamo"):
            parser.error(f"unknown exporter {e}")
    binary = os.path.abspath(args.cnnfilter)
    print(vt.versions(binary))
    print(f"max|cnnfilter - onnxruntime| / max|onnxruntime| on one random input, bound {TOLERANCE:g}")
    print(f"{'model':<20} {'exporter':<8} {'opset':>5} {'nodes':>6} {'cnnfilter':>10} {'torch':>10} "
          f"{'run s':>6}  result")
    failures = []
    with tempfile.TemporaryDirectory(prefix="cnnfilter-zoo-") as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        for name in names:
            for exporter in exporters:
                try:
                    opset, nodes, error, err, torch_err, seconds = check(binary, name, exporter, folder)
                except Exception as e:  # an export or onnxruntime failure is a row too
                    print(f"{name:<20} {exporter:<8} {'-':>5} {'-':>6} {'-':>10} {'-':>10} {'-':>6}  "
                          f"NOT CHECKED: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
                    failures.append(f"{name} {exporter}")
                    continue
                ok = error is None and err <= TOLERANCE
                shown = "-" if err is None else f"{err:.2e}"
                verdict = "PASS" if ok else f"FAIL{': ' + error if error else ''}"
                print(f"{name:<20} {exporter:<8} {opset:>5} {nodes:>6} {shown:>10} {torch_err:>10.2e} "
                      f"{seconds:>6.2f}  {verdict}", flush=True)
                if not ok:
                    failures.append(f"{name} {exporter}")
                for f in os.listdir(folder):  # the models are large: keep only what --keep asks for
                    if not args.keep and f.startswith(f"{name}.{exporter}."):
                        os.remove(os.path.join(folder, f))
    print("\nall checks passed" if not failures else f"\nFAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
