#!/usr/bin/env python3
"""cnnfilter against onnxruntime on torchvision's CNN zoo: latency at batch 1, throughput at batch 8, per ISA.

    pip install torch torchvision onnx onnxruntime numpy
    python3 scripts/bench-zoo.py [--cnnfilter PATH] [--models resnet18,mobilenet_v2] [--isas avx512,avx2]
                                 [--batches 1,8] [--runs 15] [--rounds 3] [--keep DIR] [--markdown FILE]

Each model (torchvision, random weights, no download) is exported with
scripts/verify-torchvision.py's export(): the classic exporter at opset 17,
one file per batch size (N x 3 x 224 x 224; 299 for Inception v3). Then, for
each model and batch size, --rounds rounds, each of which times, one after
the other with 0.3 s of quiet before each timing (onnxruntime's idle workers
spin for a while after a run):

  - onnxruntime (CPUExecutionProvider, intra_op_num_threads=2, its default
    graph optimizations, 3 warm-up runs, the median of --runs runs);
  - `cnnfilter bench MODEL --runs N --json --isa ISA` for each ISA of --isas
    (default: every instruction set this CPU runs, `cnnfilter bench --list-isas`).

The table shows the median over rounds of each tool's median, in ms per
batch, and cnnfilter / onnxruntime (below 1: cnnfilter is faster); at batch
8 it shows images per second instead, and onnxruntime / cnnfilter time (above
1: cnnfilter does more). The last row is the geometric mean of the ratios.
The first lines name the CPU, its instruction sets, the load and the
versions; --markdown FILE writes the tables as Markdown for
docs/performance.md. Both tools see zeros (what `cnnfilter bench` feeds).
"""
import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("verify_torchvision", os.path.join(HERE, "verify-torchvision.py"))
vt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vt)

ZOO = ["resnet18", "mobilenet_v2", "mobilenet_v3_large", "squeezenet1_1", "efficientnet_b0", "resnet50",
       "regnet_y_400mf", "shufflenet_v2_x1_0", "densenet121", "alexnet", "vgg11", "googlenet"]
PAUSE = 0.3


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def ort_ms(session, x, runs):
    for _ in range(3):
        session.run(None, {"input": x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, {"input": x})
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2]


def ours_ms(binary, model, runs, isa):
    out = subprocess.run([binary, "bench", model, "--runs", str(runs), "--json", "--isa", isa],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms"]


def export(name, folder, batch):
    path = os.path.join(folder, f"{name}-b{batch}.onnx")
    if not os.path.exists(path):
        size = 299 if name == "inception_v3" else 224
        model = None
        if name not in vt.MODELS:
            import torch
            torch.manual_seed(0)
            kwargs = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
            model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
        vt.export(name, path, model=model, shape=(batch, 3, size, size))
    return path


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnfilter", default=os.path.join(vt.ROOT, ".build/release/cnnfilter"))
    parser.add_argument("--models", default=",".join(ZOO))
    parser.add_argument("--isas", help="comma-separated (default: every set this CPU runs)")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", default="/tmp/cnnfilter-zoo", help="folder for the exported models")
    parser.add_argument("--markdown", help="also write the tables to this file as Markdown")
    args = parser.parse_args()
    binary = os.path.abspath(args.cnnfilter)
    isas = (args.isas.split(",") if args.isas else
            subprocess.run([binary, "bench", "--list-isas"], capture_output=True, text=True,
                           check=True).stdout.split())
    names = [n for n in args.models.split(",") if n]
    batches = [int(b) for b in args.batches.split(",")]
    os.makedirs(args.keep, exist_ok=True)

    header = [f"CPU: {cpu_name()}, {os.cpu_count()} cores; cnnfilter's kernels: {', '.join(isas)}",
              vt.versions(binary)]
    print("\n".join(header), flush=True)
    lines = [f"{line}  " for line in header]
    for batch in batches:
        unit = "ms" if batch == 1 else "images/s"
        columns = ["model", f"onnxruntime {unit}"] + [f"cnnfilter {isa} {unit}" for isa in isas] + \
                  [f"ratio {isa}" for isa in isas]
        title = (f"batch {batch}, 2 threads, median of {args.runs} runs, median of {args.rounds} rounds; ratio "
                 + ("cnnfilter ms / onnxruntime ms" if batch == 1 else "cnnfilter images/s / onnxruntime images/s"))
        print(f"\n{title}\n" + " | ".join(columns), flush=True)
        lines += ["", title, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        ratios = {isa: [] for isa in isas}
        for name in names:
            path = export(name, args.keep, batch)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 2
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            size = session.get_inputs()[0].shape[2]
            x = np.zeros((batch, 3, size, size), np.float32)
            theirs, ours = [], {isa: [] for isa in isas}
            for _ in range(args.rounds):
                time.sleep(PAUSE)
                theirs.append(ort_ms(session, x, args.runs))
                for isa in isas:
                    time.sleep(PAUSE)
                    ours[isa].append(ours_ms(binary, path, args.runs, isa))
            del session
            t = sorted(theirs)[len(theirs) // 2]
            o = {isa: sorted(v)[len(v) // 2] for isa, v in ours.items()}
            show = (lambda ms: f"{ms:.2f}") if batch == 1 else (lambda ms: f"{1000 * batch / ms:.1f}")
            cells = [name, show(t)] + [show(o[isa]) for isa in isas]
            for isa in isas:
                ratio = o[isa] / t if batch == 1 else t / o[isa]
                ratios[isa].append(ratio)
                cells.append(f"{ratio:.2f}")
            print(" | ".join(cells), flush=True)
            lines.append("| " + " | ".join(cells) + " |")
        cells = ["geometric mean", ""] + [""] * len(isas) + [f"{geomean(ratios[isa]):.2f}" for isa in isas]
        print(" | ".join(cells))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"\nload at the end: {os.getloadavg()[0]:.2f}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
