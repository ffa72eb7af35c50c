#!/usr/bin/env python3
"""cnnfilter's ONNX runtime against onnxruntime on five torchvision networks.

    pip install torch torchvision onnx onnxruntime numpy
    python3 scripts/verify-torchvision.py [--cnnfilter PATH] [--bench] [--models resnet18,alexnet]

For each of AlexNet, VGG-11, ResNet-18, MobileNetV2 and SqueezeNet 1.1
(torchvision, random weights: torch.manual_seed(0) before each model is built,
model.eval(), no download), the script

  - exports the model with torch.onnx.export to a temporary folder (the models
    are too large to commit; --keep DIR keeps them);
  - draws one 1x3x224x224 float32 input (numpy default_rng(0), standard
    normal) and saves it as x.npy;
  - runs onnxruntime on it (the reference: CPUExecutionProvider, graph
    optimizations disabled, as scripts/make-onnx-fixtures.py does) and
    `cnnfilter run MODEL --input x.npy -o y.npy`;
  - prints the max relative error, defined as the tests define it:
    max|cnnfilter - onnxruntime| / max|onnxruntime| over the whole output,
    and PASS when it is at most 1e-3 (the issue's bound for whole networks).
    PyTorch's own output against onnxruntime's is printed too, for scale.

Then `cnnfilter info` on ResNet-18 must print a total of 11,680,872
parameters (the batch norms folded into the convolutions by the exporter).

With --bench, each model's forward latency at 1x3x224x224 in the same run:
onnxruntime (CPUExecutionProvider, intra_op_num_threads=2, its default graph
optimizations, 3 warm-up runs, then the median of --runs runs, three times)
and `cnnfilter bench MODEL --runs N --json` (its own warm-up and median,
three times); the median of the three medians of each, and the ratio
cnnfilter / onnxruntime against the issue's bound of 1.5 (checked on
ResNet-18, MobileNetV2 and AlexNet). For context, onnxruntime is also timed
with ORT_ENABLE_EXTENDED, which leaves out its NCHWc layout transform (its
direct AVX-512 convolution kernels) and runs Conv in NCHW through MLAS
(im2col + SGEMM for most layers), as cnnfilter does. Both are timed on zeros: that is what
`cnnfilter bench` feeds. The two tools alternate so that load from elsewhere
falls on both, with 0.3 s of quiet before each timing (onnxruntime's idle
worker threads spin for a while after a run and would otherwise take a core
from whichever timing comes next).

The exporter: the classic TorchScript exporter (dynamo=False, opset 17).
With training=TrainingMode.EVAL and do_constant_folding=True (its defaults)
it folds every BatchNormalization into the preceding Conv, so the graph has
the parameter count the issue names (11,680,872 for ResNet-18); the newer
torch.export-based exporter (dynamo=True, the default since PyTorch 2.9)
keeps the batch norms unless its optimizer runs, and needs onnxscript.
Opset 17 is the highest the classic exporter writes in every PyTorch 2.x and
within cnnfilter's opsets 6 to 21.

Exit status 1 if any check fails (a bench ratio above 1.5 counts only with
--strict-bench: timings on a shared machine vary).
"""
import argparse
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "alexnet": torchvision.models.alexnet,
    "vgg11": torchvision.models.vgg11,
    "resnet18": torchvision.models.resnet18,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "squeezenet1_1": torchvision.models.squeezenet1_1,
}
BENCH_BOUND = {"resnet18": 1.5, "mobilenet_v2": 1.5, "alexnet": 1.5}  # the list
TOLERANCE = 1e-3
RESNET18_PARAMS = 11_680_872
SHAPE = (1, 3, 224, 224)
PAUSE = 0.3  # seconds of quiet before each timing (bench)


def export(name, path, model=None, shape=SHAPE, dynamo=False):
    """Exports torchvision's `name` (or `model`, already built) for one random input of `shape` and returns
    PyTorch's own output on it. dynamo=False: the classic exporter at opset 17; dynamo=True: torch.export's,
    at its default opset, weights in PATH.data beside the model."""
    if model is None:
        torch.manual_seed(0)
        model = MODELS[name](weights=None).eval()
    example = torch.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    kwargs = {"input_names": ["input"], "output_names": ["output"]}
    if dynamo:
        kwargs["dynamo"] = True
    else:
        kwargs.update(opset_version=17, do_constant_folding=True)
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kwargs["dynamo"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the classic exporter's deprecation notice
        torch.onnx.export(model, (example,), path, **kwargs)
        with torch.no_grad():
            return model(example).numpy()


def session(path, threads, optimize, level=None):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.inter_op_num_threads = 1
    elif level is not None:
        options.graph_optimization_level = level
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def relative_error(got, want):
    return float(np.max(np.abs(got.astype(np.float64) - want)) / max(float(np.max(np.abs(want))), 1e-12))


def versions(binary):
    """What a run was made with, for the first line of its output."""
    return (f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnxruntime {ort.__version__}, "
            f"numpy {np.__version__}; cnnfilter {binary}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")


def run_ours(binary, model, x_path, y_path):
    result = subprocess.run([binary, "run", model, "--input", x_path, "-o", y_path], capture_output=True, text=True)
    if result.returncode != 0:
        return None, (result.stderr.strip() or f"exit status {result.returncode}").splitlines()[-1]
    return np.load(y_path), None


def ort_median(sess, x, runs):
    for _ in range(3):
        sess.run(None, {"input": x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {"input": x})
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2]


def ours_median(binary, model, runs):
    out = subprocess.run([binary, "bench", model, "--runs", str(runs), "--json"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnfilter", default=os.path.join(ROOT, ".build/release/cnnfilter"), help="the binary")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    parser.add_argument("--bench", action="store_true", help="also time both runtimes")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per median (bench)")
    parser.add_argument("--strict-bench", action="store_true", help="fail when a bench ratio exceeds 1.5")
    parser.add_argument("--keep", help="export into this folder and keep the models")
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    for n in names:
        if n not in MODELS:
            parser.error(f"unknown model {n}")
    binary = os.path.abspath(args.cnnfilter)
    print(versions(binary))
    failures = []
    with tempfile.TemporaryDirectory(prefix="cnnfilter-tv-") as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
        x_path = os.path.join(folder, "x.npy")
        np.save(x_path, x)
        paths = {}
        print(f"\nparity on one random {'x'.join(map(str, SHAPE))} input, max|a - b| / max|onnxruntime|, bound {TOLERANCE:g}")
        print(f"{'model':<14} {'ops':>5} {'cnnfilter':>11} {'torch':>11}  result")
        for name in names:
            path = paths[name] = os.path.join(folder, f"{name}.onnx")
            torch_out = export(name, path)
            want = session(path, 1, optimize=False).run(None, {"input": x})[0].astype(np.float64)
            got, error = run_ours(binary, path, x_path, os.path.join(folder, f"{name}.y.npy"))
            ops = len(onnx.load(path, load_external_data=False).graph.node)
            torch_err = relative_error(torch_out, want)
            if error is None and got.shape != want.shape:
                error = f"shape {list(got.shape)}, onnxruntime {list(want.shape)}"
            if error is not None:
                print(f"{name:<14} {ops:>5} {'-':>11} {torch_err:>11.2e}  FAIL: {error}")
                failures.append(name)
                continue
            err = relative_error(got, want)
            ok = err <= TOLERANCE
            print(f"{name:<14} {ops:>5} {err:>11.2e} {torch_err:>11.2e}  {'PASS' if ok else 'FAIL'}")
            if not ok:
                failures.append(name)

        if "resnet18" in paths:
            info = subprocess.run([binary, "info", paths["resnet18"]], capture_output=True, text=True)
            total = re.search(r"^total: ([\d,]+) parameters", info.stdout, re.M)
            count = int(total.group(1).replace(",", "")) if total else None
            ok = count == RESNET18_PARAMS
            shown = total.group(1) if total else (info.stderr.strip() or "no total line")
            print(f"\ncnnfilter info resnet18: {shown} parameters (expected {RESNET18_PARAMS:,}) {'PASS' if ok else 'FAIL'}")
            if not ok:
                failures.append("resnet18 info")

        if args.bench:
            print(f"\nforward latency, {'x'.join(map(str, SHAPE))} zeros, median of {args.runs} runs, "
                  f"median of 3 rounds; onnxruntime intra_op_num_threads=2; load {os.getloadavg()[0]:.2f}")
            print("(onnxruntime ms: its default optimizations, the reference for the ratio; extended ms: "
                  "ORT_ENABLE_EXTENDED, without the NCHWc layout transform, for context)")
            print(f"{'model':<14} {'cnnfilter ms':>13} {'onnxruntime ms':>15} {'ratio':>7}  {'bound':<8} {'extended ms':>11}")
            zeros = np.zeros(SHAPE, np.float32)
            for name in names:
                sess = session(paths[name], 2, optimize=True)
                plain = session(paths[name], 2, optimize=True, level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
                ours, theirs, extended = [], [], []
                for _ in range(3):
                    # A pause before each timing: onnxruntime's worker threads spin for a while after a
                    # run, and would take a core from the next timing (cnnfilter's, in another process).
                    time.sleep(PAUSE)
                    theirs.append(ort_median(sess, zeros, args.runs))
                    time.sleep(PAUSE)
                    ours.append(ours_median(binary, paths[name], args.runs))
                    time.sleep(PAUSE)
                    extended.append(ort_median(plain, zeros, args.runs))
                o, t, e = sorted(ours)[1], sorted(theirs)[1], sorted(extended)[1]
                bound = BENCH_BOUND.get(name)
                verdict = "-" if bound is None else ("ok" if o / t <= bound else f"OVER {bound}")
                print(f"{name:<14} {o:>13.2f} {t:>15.2f} {o / t:>7.2f}  {verdict:<8} {e:>11.2f}")
                if bound is not None and o / t > bound and args.strict_bench:
                    failures.append(f"{name} bench")
    print("\nall checks passed" if not failures else f"\nFAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
