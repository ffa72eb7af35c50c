#!/usr/bin/env python3
"""`cnnfilter predict` over many JPEGs against a Python loop of Pillow and onnxruntime.

    pip install torch torchvision onnx onnxruntime numpy pillow
    python3 scripts/bench-predict.py [--cnnfilter .build/release/cnnfilter] [--count 1000] [--rounds 3]

What it does, in one run:

  - exports torchvision's ResNet-18 (random weights: torch.manual_seed(0), eval mode, no download)
    with torch.onnx.export(dynamo=False, opset 17) and a free batch dimension, into a temporary folder;
  - makes --count JPEGs with scripts/make-batch-photos.py (its default sizes, 320x240 to 1920x1080,
    crops of the bundled images/), listed in list.txt;
  - times, as whole processes (start-up and model loading included), the jobs below, alternating
    their order from round to round, and reports each one's median over --rounds rounds:
      cnnfilter:   cnnfilter predict resnet18.onnx --files-from list.txt --preset imagenet --json
                   --threads 2 -o answers.jsonl   (its default batch size, then --batch-size 8)
      onnxruntime: a Python loop, batch 8: each photo opened with Pillow, converted to RGB, its short
                   side resized to 256 (bilinear), the centre 224x224 cut out, scaled to [0, 1] and
                   normalised with ImageNet's mean and std in numpy; the batch run by onnxruntime
                   (CPUExecutionProvider, intra_op_num_threads=2, its default optimizations), the
                   softmax's top 5 written as JSON lines. Timed twice: with onnxruntime's default
                   spinning threads, and with intra_op.allow_spinning=0 (its idle threads would
                   otherwise spin while Pillow decodes); the faster is the baseline.
  - checks that every job answered every photo.

Both tools decode and prepare the photos themselves, so this is the whole job of classifying a
folder of photos, not the model alone (scripts/verify-torchvision.py --bench times that).
The figures go into docs/performance.md ("Batched inference") with the machine they ran on.
"""
import argparse
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The onnxruntime loop, run as its own process: python3 -c LOOP MODEL LIST OUT BATCH THREADS SPIN
LOOP = r"""
import json, sys
import numpy as np
import onnxruntime as ort
from PIL import Image
model, listing, out, batch, threads, spin = sys.argv[1:7]
options = ort.SessionOptions()
options.intra_op_num_threads = int(threads)
options.inter_op_num_threads = 1
if spin == "0":
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
std = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)

def prepare(path):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    if w <= h:
        size = (256, int(256 * h / w))
    else:
        size = (int(256 * w / h), 256)
    image = image.resize(size, Image.Resampling.BILINEAR)
    left, top = round((size[0] - 224) / 2), round((size[1] - 224) / 2)
    image = image.crop((left, top, left + 224, top + 224))
    x = np.asarray(image, np.float32).transpose(2, 0, 1) / 255
    return (x - mean) / std

names = [line.rstrip("\n") for line in open(listing) if line.strip()]
with open(out, "w") as f:
    for start in range(0, len(names), int(batch)):
        paths = names[start:start + int(batch)]
        logits = session.run(None, {"input": np.stack([prepare(p) for p in paths])})[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        for path, row in zip(paths, p):
            best = np.argsort(-row)[:5]
            f.write(json.dumps({"path": path, "top": [{"class": int(i), "probability": float(row[i])}
                                                      for i in best]}) + "\n")
"""


def export(path):
    import numpy as np
    import torch
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    example = torch.from_numpy(np.zeros((1, 3, 224, 224), np.float32))
    kwargs = {"opset_version": 17, "input_names": ["input"], "output_names": ["output"],
              "do_constant_folding": True, "dynamic_axes": {"input": {0: "batch"}, "output": {0: "batch"}}}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the classic exporter's deprecation notice
        torch.onnx.export(model, (example,), path, **kwargs)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or "unknown CPU"
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    return f"{name}, {os.cpu_count()} cores, AVX-512 {'yes' if 'avx512f' in flags else 'no'}"


def answered(path, count):
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return len(rows) == count and all("top" in r and len(r["top"]) == 5 for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnfilter", default=os.path.join(ROOT, ".build/release/cnnfilter"), help="the binary")
    parser.add_argument("--count", type=int, default=1000, help="JPEGs to classify")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (the median is reported)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both tools")
    parser.add_argument("--keep", help="make the model and photos in this folder and keep them")
    args = parser.parse_args()
    binary = os.path.abspath(args.cnnfilter)
    import onnxruntime
    import PIL
    import numpy
    import torch
    with tempfile.TemporaryDirectory(prefix="cnnfilter-bench-predict-") as tmp:
        folder = os.path.abspath(args.keep or tmp)
        os.makedirs(folder, exist_ok=True)
        model = os.path.join(folder, "resnet18.onnx")
        photos = os.path.join(folder, "photos")
        if not os.path.exists(model):
            export(model)
        if not os.path.exists(os.path.join(photos, "list.txt")):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts/make-batch-photos.py"), photos,
                            "--count", str(args.count), "--formats", "jpg"], check=True)
        listing = os.path.join(photos, "list.txt")
        count = sum(1 for line in open(listing) if line.strip())
        out = os.path.join(folder, "answers.jsonl")
        cnnfilter = [binary, "predict", model, "--files-from", "list.txt", "--preset", "imagenet", "--json",
                     "--threads", str(args.threads), "-o", out]
        jobs = {
            "cnnfilter": cnnfilter,
            "cnnfilter --batch-size 8": cnnfilter + ["--batch-size", "8"],
            "onnxruntime": [sys.executable, "-c", LOOP, model, "list.txt", out, "8", str(args.threads), "1"],
            "onnxruntime, no spinning": [sys.executable, "-c", LOOP, model, "list.txt", out, "8",
                                         str(args.threads), "0"],
        }
        print(f"machine: {cpu_name()}; load {os.getloadavg()[0]:.2f} at start")
        print(f"tools: {subprocess.run([binary, '--version'], capture_output=True, text=True).stdout.strip()} "
              f"({binary}); Python {platform.python_version()}, onnxruntime {onnxruntime.__version__}, "
              f"Pillow {PIL.__version__}, numpy {numpy.__version__}, torch {torch.__version__}")
        print(f"{count} JPEGs from scripts/make-batch-photos.py, ResNet-18 (random weights), "
              f"{args.threads} threads, {args.rounds} rounds")
        times = {name: [] for name in jobs}
        names = list(jobs)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                time.sleep(1)  # onnxruntime's idle threads spin for a while after a run
                start = time.perf_counter()
                result = subprocess.run(jobs[name], cwd=photos, capture_output=True, text=True)
                seconds = time.perf_counter() - start
                if result.returncode != 0 or not answered(out, count):
                    sys.exit(f"{name} failed: {result.stderr.strip()[-500:]}")
                times[name].append(seconds)
                print(f"round {r + 1}: {name}: {seconds:.2f} s", flush=True)
        print()
        print(f"{'job':<26} {'median s':>9} {'images/s':>9} {'min-max s':>13}")
        median = {name: statistics.median(t) for name, t in times.items()}
        for name, t in times.items():
            print(f"{name:<26} {median[name]:>9.2f} {count / median[name]:>9.1f} {min(t):>6.2f}-{max(t):<6.2f}")
        baseline = min(median["onnxruntime"], median["onnxruntime, no spinning"])
        ratio = baseline / median["cnnfilter"]
        print(f"\ncnnfilter (default batch) images/s / the faster onnxruntime loop's: {ratio:.2f}"
              f" ({'at least as fast' if ratio >= 1 else 'SLOWER'})")
        print("commands:")
        for name, command in jobs.items():
            shown = command if "-c" not in command else [command[0], "-c", "<the loop in this script>"] + command[3:]
            print(f"  {name}: {' '.join(shown)}")
        print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
