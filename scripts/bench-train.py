#!/usr/bin/env python3
"""Training on Fashion-MNIST: PyTorch against `cnnfilter train`, the same
networks, in one run on this machine. Prints one markdown table (median epoch
seconds, test accuracy, and onnxruntime's accuracy on cnnfilter's exported
model) under a header naming the date, the machine, its load and the tool
versions. Progress goes to stderr, the table (or --json) to stdout.

    pip install torch numpy onnxruntime
    scripts/bench-train.py [--nets lenet5,bn] [--epochs N] [--cnnfilter PATH]
                           [--torch-threads 2] [--skip-cnnfilter | --skip-torch]
                           [--limit N] [--work DIR] [--data DIR] [--seed 1] [--json]

Networks (the same layers in both tools):
  lenet5  cnnfilter's built-in `--arch lenet5` (Architecture.lenet5, copied
          below): conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu,
          maxpool 2, conv 120 5x5, relu, linear 84, relu, linear 10. No
          augmentation.
  bn      models/fashion-bn.arch, read by this script for the PyTorch network
          (so both tools train what the file says); `--augment flip`, in
          PyTorch a horizontal flip of each training image with p = 0.5.
Both: pixels in [0, 1] standardised by the training set's mean and std (one
mean and one population std over all training pixels, as cnnfilter's
Dataset.channelStatistics), PyTorch's default initialisation, cross-entropy,
Adam lr 0.001 (betas 0.9/0.999, eps 1e-8, no weight decay), batch 64 (the last
batch of each epoch is the 32 left over), reshuffled each epoch, seed 1.

How it is timed:
  PyTorch   in this process, torch.set_num_threads(--torch-threads, default 2),
            tensors in memory (no DataLoader). An epoch's seconds are
            time.perf_counter around the batch loop only (batch assembly,
            augmentation, forward, backward, Adam step), not the shuffle nor the
            test evaluation: what cnnfilter's CSV `seconds` column times. The
            test set is evaluated once, after the last epoch (model.eval(),
            batches of 250). `cores` = process CPU seconds / wall seconds in
            the timed loops.
  cnnfilter `cnnfilter train ... --log OUT.csv` (all cores: its own threading);
            epoch seconds from the CSV's `seconds` column, the test accuracy
            from its last stdout line ("test accuracy 0.9012 (10000 images)").
            Then `cnnfilter eval OUT.onnx --data DIR`, and onnxruntime
            (--torch-threads threads) on the exported OUT.onnx over the 10,000
            test images (N x 1 x 28 x 28 float32 in [0, 1], output "logits"):
            the three accuracies must count the same number of correct images.
            `cores` = the child's CPU seconds / wall seconds over the whole
            command (includes loading the data and the test evaluation).
Every command line is printed as run. The median of the epochs is the figure
(PyTorch's first epoch includes oneDNN's warm-up). Before each measurement the
script waits (--max-wait, default 10 minutes over the run) for a running Swift
build (swift-build, swift-test, swift-frontend) to end, and the table says if
one ran anyway; each row also gives the cores other processes kept busy while
it was measured (/proc/stat) and the load average. Measure on a quiet machine:
with 2 OpenMP threads on 2 cores PyTorch collapses when another process takes
a core (measured: a LeNet-5 batch of 64 took 195 ms with 2 threads against
15 ms with 1 thread while swift-frontend used one core).

Outputs go to --work (default /tmp/cnnfilter-bench-train): NET.onnx, NET.csv,
NET.stdout, NET.stderr, NET-eval.txt, kept after the run. --limit N trains
PyTorch on the first N training images only, to try the script out; cnnfilter
has no such option, so --limit needs --skip-cnnfilter. Rough run times on 2
cores: lenet5 10 epochs in PyTorch about 2-3 minutes; bn about 80 s an epoch.
Exit status 1 if a tool failed or the accuracies of cnnfilter and onnxruntime
disagree.
"""
import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Sources/Training/Architecture.swift, Architecture.lenet5 (keep in step).
LENET5 = """
conv 6 5 pad=2 name=C1
relu name=C1_relu
maxpool 2 name=S2
conv 16 5 name=C3
relu name=C3_relu
maxpool 2 name=S4
conv 120 5 name=C5
relu name=C5_relu
linear 84 name=F6
relu name=F6_relu
linear classes name=output
"""

NETS = {
    # name: (--arch as given to cnnfilter, augmentation or None)
    "lenet5": ("lenet5", None),
    "bn": ("models/fashion-bn.arch", "flip"),
}


def say(msg):
    print(f"bench-train: {msg}", file=sys.stderr, flush=True)


def die(msg):
    say(msg)
    sys.exit(2)


# ---------------------------------------------------------------- data

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\0\0" or data[2] != 8:
        die(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(directory):
    files = sorted(os.listdir(directory))

    def find(*stems):
        for f in files:
            if any(f.startswith(s) for s in stems):
                return os.path.join(directory, f)
        die(f"{directory}: no file starting with {' or '.join(stems)}")

    return (read_idx(find("train-images")), read_idx(find("train-labels")),
            read_idx(find("t10k-images", "test-images")), read_idx(find("t10k-labels", "test-labels")))


def to_unit(images):
    """uint8 N x H x W -> float32 N x 1 x H x W in [0, 1], as cnnfilter (Float(byte) * (1/255))."""
    return (images.astype(np.float32) * np.float32(1 / 255))[:, None, :, :]


def statistics_of(pixels):
    """One mean and one population std over all pixels, in double (Dataset.channelStatistics)."""
    p = pixels.astype(np.float64)
    mean = p.mean()
    std = max(np.sqrt((p * p).mean() - mean * mean), 1e-3)
    return float(np.float32(mean)), float(np.float32(std))


# ---------------------------------------------------------------- architecture

def parse_arch(text, source):
    """cnnfilter's text format -> [(kind, positional, options, line)]."""
    layers = []
    for number, raw in enumerate(text.split("\n"), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        kind = words[0].lower()
        positional = [w for w in words[1:] if "=" not in w]
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        options = {k.lower(): v for k, v in options.items()}
        options.pop("name", None)
        layers.append((kind, positional, options, f"{source}:{number}"))
    if not layers:
        die(f"{source}: no layers")
    return layers


def build_torch(layers, input_shape, classes, mean, std):
    """The nn.Sequential that cnnfilter's Architecture.build makes, with the
    standardisation in front (as cnnfilter's exported graph: Sub, Div)."""
    import torch
    from torch import nn

    class Standardize(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

        def forward(self, x):
            return (x - self.mean) / self.std

    modules, shape = [Standardize()], list(input_shape)
    for kind, pos, opt, where in layers:
        def unknown(*known):
            extra = sorted(set(opt) - set(known))
            if extra:
                die(f"{where}: '{kind}' option {extra[0]}= is not handled by this script")

        if kind in ("conv", "conv2d"):
            unknown("pad", "stride", "dilation", "groups", "bias")
            filters = int(pos[0])
            kh, kw = (int(v) for v in (pos[1].lower().split("x") * 2)[:2])
            stride, dilation = int(opt.get("stride", 1)), int(opt.get("dilation", 1))
            groups = int(opt.get("groups", 1))
            if opt.get("pad", "0").lower() == "same":
                pad = (dilation * (kh - 1) // 2, dilation * (kw - 1) // 2)
            else:
                pad = (int(opt.get("pad", 0)),) * 2
            bias = opt.get("bias", "yes") in ("yes", "true")
            modules.append(nn.Conv2d(shape[0], filters, (kh, kw), stride, pad, dilation, groups, bias))
            shape = [filters] + [(shape[1 + i] + 2 * pad[i] - dilation * ((kh, kw)[i] - 1) - 1) // stride + 1
                                 for i in range(2)]
        elif kind in ("maxpool", "avgpool"):
            unknown("stride", "pad")
            size = int(pos[0])
            stride, pad = int(opt.get("stride", size)), int(opt.get("pad", 0))
            modules.append((nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(size, stride, pad))
            shape = [shape[0]] + [(s + 2 * pad - size) // stride + 1 for s in shape[1:]]
        elif kind in ("relu", "sigmoid", "tanh", "leakyrelu"):
            unknown()
            modules.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[kind]() if kind != "leakyrelu"
                           else nn.LeakyReLU(float(pos[0]) if pos else 0.01))
        elif kind in ("bn", "batchnorm"):
            unknown()
            modules.append((nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0], eps=1e-5, momentum=0.1))
        elif kind == "dropout":
            unknown()
            modules.append(nn.Dropout(float(pos[0])))  # element-wise, scaled by 1/(1-p), as cnnfilter
        elif kind == "flatten":
            unknown()
            modules.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif kind in ("linear", "fc", "dense"):
            unknown()
            if len(shape) != 1:
                modules.append(nn.Flatten())
                shape = [int(np.prod(shape))]
            outputs = classes if pos[0].lower() == "classes" else int(pos[0])
            modules.append(nn.Linear(shape[0], outputs))
            shape = [outputs]
        else:
            die(f"{where}: layer '{kind}' is not handled by this script")
    if shape != [classes]:
        die(f"the network ends in {shape}, not {classes} classes")
    return nn.Sequential(*modules)


# ---------------------------------------------------------------- Swift builds

def busy_seconds():
    """CPU seconds all processes have used since boot (/proc/stat: all but idle and iowait)."""
    f = [int(v) for v in open("/proc/stat").readline().split()[1:9]]
    return (sum(f) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


def building():
    return any(subprocess.run(["pgrep", "-x", name], capture_output=True).returncode == 0
               for name in ("swift-build", "swift-test", "swift-frontend"))


class Quiet:
    """Waits for Swift builds to end before a measurement (at most 10 minutes in
    all), and watches (pgrep every 2 s) for one starting during it."""

    def __init__(self, limit):
        self.limit, self.waited, self.disturbed = limit, 0.0, []
        self._stop, self._thread, self._seen = None, None, False

    def wait(self, what):
        if building() and self.waited < self.limit:
            say(f"a Swift build is running; waiting for it to end before measuring {what}")
            t = time.monotonic()
            while building() and self.waited + time.monotonic() - t < self.limit:
                time.sleep(5)
            time.sleep(3)
            self.waited += time.monotonic() - t
        self.what, self._seen = what, building()
        self._stop = threading.Event()

        def watch():
            while not self._stop.wait(2):
                if not self._seen and building():
                    self._seen = True
                    say(f"warning: a Swift build started while measuring {what}")

        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()
        self._busy, self._t, self._load = busy_seconds(), time.monotonic(), open("/proc/loadavg").read().split()[0]

    def done(self, own_cpu):
        """Stops watching; returns (the cores other processes kept busy meanwhile, load at start and end)."""
        others = (busy_seconds() - self._busy - own_cpu) / (time.monotonic() - self._t)
        self._stop.set()
        self._thread.join()
        if self._seen or building():
            self.disturbed.append(self.what)
        return max(others, 0.0), f"{self._load} → {open('/proc/loadavg').read().split()[0]}"


# ---------------------------------------------------------------- PyTorch

def train_torch(net, layers, data, args):
    import torch
    import torch.nn.functional as F

    xtr, ytr, xte, yte, mean, std = data
    torch.manual_seed(args.seed)
    model = build_torch(layers, (1, 28, 28), 10, mean, std)
    params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    flip = NETS[net][1] == "flip"
    generator = torch.Generator().manual_seed(args.seed)
    x, y = torch.from_numpy(xtr), torch.from_numpy(ytr.astype(np.int64))
    n, batch = len(y), 64
    epochs = []
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        loss_sum, correct = 0.0, 0
        cpu0, t0 = time.process_time(), time.perf_counter()
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            xb, yb = x[idx], y[idx]
            if flip:
                mask = torch.rand(len(idx), generator=generator) < 0.5
                xb = torch.where(mask[:, None, None, None], xb.flip(3), xb)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        epochs.append({"epoch": epoch + 1, "seconds": seconds, "cpu_seconds": cpu,
                       "train_loss": loss_sum / n, "train_accuracy": correct / n})
        say(f"  pytorch {net} epoch {epoch + 1}/{args.epochs}: loss {loss_sum / n:.4f}, accuracy "
            f"{correct / n:.4f}, {seconds:.2f} s ({n / seconds:.0f} images/s, {cpu / seconds:.2f} cores)")
    model.eval()
    correct, loss_sum = 0, 0.0
    t0 = time.perf_counter()
    with torch.no_grad():
        xt, yt = torch.from_numpy(xte), torch.from_numpy(yte.astype(np.int64))
        for start in range(0, len(yt), 250):
            logits = model(xt[start:start + 250])
            loss_sum += F.cross_entropy(logits, yt[start:start + 250], reduction="sum").item()
            correct += (logits.argmax(1) == yt[start:start + 250]).sum().item()
    test_seconds = time.perf_counter() - t0
    say(f"  pytorch {net} test: accuracy {correct / len(yte):.4f} ({correct}/{len(yte)}), "
        f"loss {loss_sum / len(yte):.4f}, {test_seconds:.2f} s")
    return {"net": net, "tool": "pytorch", "threads": torch.get_num_threads(), "parameters": params,
            "train_images": n, "epochs": epochs, **summary(epochs),
            "test_accuracy": correct / len(yte), "test_correct": correct, "test_images": len(yte),
            "test_loss": loss_sum / len(yte), "test_seconds": test_seconds}


def summary(epochs):
    secs = [e["seconds"] for e in epochs]
    out = {"epoch_seconds_median": statistics.median(secs), "epoch_seconds_min": min(secs),
           "epoch_seconds_max": max(secs), "last_train_loss": epochs[-1]["train_loss"],
           "last_train_accuracy": epochs[-1]["train_accuracy"]}
    if all(e.get("cpu_seconds") is not None for e in epochs):
        out["cores"] = sum(e["cpu_seconds"] for e in epochs) / sum(secs)
    return out


# ---------------------------------------------------------------- cnnfilter

def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def parse_accuracy(text):
    """The last 'accuracy X' in text, as a fraction (X% or X > 1 read as percent)."""
    found = re.findall(r"accuracy\D{0,20}?(\d+(?:\.\d+)?)\s*(%?)", text, re.IGNORECASE)
    if not found:
        return None
    value, percent = found[-1]
    value = float(value)
    return value / 100 if percent or value > 1 else value


def ort_accuracy(path, xte, yte, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    outputs = [o.name for o in session.get_outputs()]
    note = None
    if "logits" in outputs:
        out = "logits"
    else:
        out = outputs[0]
        note = f"{os.path.basename(path)} has no output named 'logits' (outputs: {', '.join(outputs)}); used '{out}'"
    batch = inp.shape[0] if isinstance(inp.shape[0], int) else 1000
    correct = 0
    for start in range(0, len(yte), batch):
        logits = session.run([out], {inp.name: xte[start:start + batch]})[0]
        correct += int((logits.reshape(len(logits), -1).argmax(1) == yte[start:start + batch]).sum())
    return correct, note, f"input '{inp.name}' {inp.shape}"


def run_cnnfilter(net, args, xte, yte, quiet):
    arch, augment = NETS[net]
    base = os.path.join(args.work, net)
    onnx_path, csv_path = base + ".onnx", base + ".csv"
    for p in (onnx_path, csv_path):
        if os.path.exists(p):
            os.remove(p)
    cmd = [args.cnnfilter, "train", "--data", args.data, "--arch", arch, "--epochs", str(args.epochs),
           "--batch-size", "64", "--seed", str(args.seed), "--optimizer", "adam", "--lr", "0.001",
           "-o", onnx_path, "--log", csv_path]
    if augment:
        cmd += ["--augment", augment]
    row = {"net": net, "tool": "cnnfilter", "threads": os.cpu_count(), "command": shlex.join(cmd), "epochs": []}
    quiet.wait(f"cnnfilter {net}")
    say(f"cnnfilter {net}: {shlex.join(cmd)}  (in {ROOT})")
    cpu0, t0 = children_cpu(), time.perf_counter()
    with open(base + ".stdout", "w") as out, open(base + ".stderr", "w") as err:
        # GNU time reports the train command's peak resident memory (KiB); a child of this process would
        # inherit its peak, data set and PyTorch included, across fork and exec.
        rc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", base + ".peak"] + cmd, cwd=ROOT,
                            stdout=out, stderr=err).returncode
    try:
        row["peak_mib"] = int(open(base + ".peak").read().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    row["wall_seconds"] = time.perf_counter() - t0
    row["cores"] = (children_cpu() - cpu0) / row["wall_seconds"]
    row["other_cores"], row["load"] = quiet.done(children_cpu() - cpu0)
    stdout = open(base + ".stdout", errors="replace").read()
    if rc != 0:
        why = (open(base + ".stderr", errors="replace").read().strip().splitlines() or ["no message"])[-1][:200]
        row["error"] = f"`cnnfilter train` exit {rc}: {why} (see {base}.stderr)"
        say(f"  {row['error']}")
        return row
    try:
        with open(csv_path) as f:
            header = f.readline().strip().split(",")
            for line in f:
                if line.strip():
                    r = dict(zip(header, line.strip().split(",")))
                    row["epochs"].append({"epoch": int(r["epoch"]), "seconds": float(r["seconds"]),
                                          "train_loss": float(r["train_loss"]),
                                          "train_accuracy": float(r["train_accuracy"]),
                                          "samples_per_second": float(r["samples_per_second"])})
    except (OSError, KeyError, ValueError) as e:
        row["error"] = f"cannot read the log {csv_path}: {e}"
        return row
    if not row["epochs"]:
        row["error"] = f"{csv_path} has no epochs"
        return row
    row.update(summary(row["epochs"]))
    for e in row["epochs"]:
        say(f"  cnnfilter {net} epoch {e['epoch']}/{args.epochs}: loss {e['train_loss']:.4f}, accuracy "
            f"{e['train_accuracy']:.4f}, {e['seconds']:.2f} s ({e['samples_per_second']:.0f} images/s)")
    m = re.search(r"test accuracy\s+(\d+(?:\.\d+)?)\s*\((\d+) images\)", stdout)
    row["test_accuracy"] = float(m.group(1)) if m else parse_accuracy(stdout)
    row["test_images"] = int(m.group(2)) if m else None
    if row["test_accuracy"] is None:
        row["error"] = f"no 'test accuracy' line in the stdout of `cnnfilter train` ({base}.stdout)"

    eval_cmd = [args.cnnfilter, "eval", onnx_path, "--data", args.data]
    row["eval_command"] = shlex.join(eval_cmd)
    say(f"cnnfilter {net}: {row['eval_command']}")
    r = subprocess.run(eval_cmd, cwd=ROOT, capture_output=True, text=True)
    with open(base + "-eval.txt", "w") as f:
        f.write(r.stdout + r.stderr)
    row["eval_accuracy"] = parse_accuracy(r.stdout) if r.returncode == 0 else None
    if r.returncode != 0:
        row["eval_error"] = f"`cnnfilter eval` exit {r.returncode}: " + \
            ((r.stderr.strip().splitlines() or ["no message"])[-1][:200])
    elif row["eval_accuracy"] is None:
        row["eval_error"] = f"no accuracy in the output of `cnnfilter eval` ({base}-eval.txt)"

    if os.path.exists(onnx_path):
        say(f"onnxruntime {net}: {onnx_path} on {len(yte)} test images")
        try:
            correct, note, inp = ort_accuracy(onnx_path, xte, yte, args.torch_threads)
            row["ort_correct"], row["ort_accuracy"], row["ort_input"] = correct, correct / len(yte), inp
            if note:
                row["ort_note"] = note
        except Exception as e:  # noqa: BLE001 - any failure to load or run the export is a result
            row["ort_error"] = f"onnxruntime: {type(e).__name__}: {str(e)[:200]}"
    else:
        row["ort_error"] = f"`cnnfilter train` wrote no {onnx_path}"
    # Agreement: the same number of correct images (cnnfilter prints 4 decimals: exact for 10,000 images).
    counts = {k: round(row[k] * len(yte)) for k in ("test_accuracy", "eval_accuracy") if row.get(k) is not None}
    if "ort_correct" in row:
        counts["ort_accuracy"] = row["ort_correct"]
    row["agree"] = len(counts) == 3 and len(set(counts.values())) == 1
    if len(counts) >= 2 and len(set(counts.values())) > 1:
        row["disagreement"] = "correct images: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        say(f"  DISAGREEMENT: {row['disagreement']}")
    return row


# ---------------------------------------------------------------- report

def header(args, load_start):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0) / 1048576
    tools = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    if not args.skip_torch:
        import torch
        tools.append(f"PyTorch {torch.__version__} ({args.torch_threads} thread{'s' if args.torch_threads != 1 else ''})")
    if not args.skip_cnnfilter:
        import onnxruntime
        version = subprocess.run([args.cnnfilter, "--version"], capture_output=True, text=True).stdout.strip()
        shown = os.path.relpath(args.cnnfilter, ROOT) if args.cnnfilter.startswith(ROOT + os.sep) else args.cnnfilter
        tools.append(f"cnnfilter {version} ({shown}, sha256 {bin_id(args.cnnfilter)})")
        tools.append(f"onnxruntime {onnxruntime.__version__}")
    return (f"**{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}** — machine: {os.cpu_count()} cores, {mem:.0f} GB RAM, "
            f"{cpu}, load {load_start} at start, {open('/proc/loadavg').read().split()[0]} at the end — "
            f"tools: {', '.join(tools)}")


def bin_id(path):
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()[:12]
    built = datetime.fromtimestamp(os.path.getmtime(path), timezone.utc)
    return f"{digest}, built {built:%Y-%m-%d %H:%M UTC}"


def acc(v):
    return "n/a" if v is None else f"{v:.4f}"


def table(rows, notes, head):
    lines = [head, "",
             "| net | tool | threads | epochs | epoch s (median) | min–max | cores | others' cores | last train loss "
             "| test accuracy | `cnnfilter eval` | onnxruntime on the export | ÷ PyTorch | peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    torch_median = {r["net"]: r.get("epoch_seconds_median") for r in rows if r["tool"] == "pytorch"}
    for r in rows:
        if "epoch_seconds_median" not in r:
            lines.append(f"| {r['net']} | {r['tool']} | | | n/a | | | | | n/a | | | | |")
            continue
        ratio = ""
        if r["tool"] == "cnnfilter" and torch_median.get(r["net"]):
            ratio = f"{r['epoch_seconds_median'] / torch_median[r['net']]:.2f}"
        evals = ort = ""
        if r["tool"] == "cnnfilter":
            evals = acc(r.get("eval_accuracy"))
            ort = acc(r.get("ort_accuracy")) + (" (agree)" if r.get("agree") else " (**disagree**)"
                                                if r.get("disagreement") else "")
        cores = f"{r['cores']:.2f}" if r.get("cores") is not None else ""
        lines.append(f"| {r['net']} | {r['tool']} | {r['threads']} | {len(r['epochs'])} | "
                     f"{r['epoch_seconds_median']:.2f} | {r['epoch_seconds_min']:.2f}–{r['epoch_seconds_max']:.2f} | "
                     f"{cores} | {r.get('other_cores', 0):.2f} | {r['last_train_loss']:.4f} | {acc(r.get('test_accuracy'))} | {evals} | {ort} | {ratio} | "
                     f"{r.get('peak_mib', 0):.0f} |")
    lines.append("")
    lines.append("epoch s: seconds of one epoch's batch loop (60,000 images unless noted), median over the epochs; "
                 "÷ PyTorch: cnnfilter's median divided by PyTorch's (below 1: cnnfilter is faster). cores: CPU "
                 "seconds / wall seconds (PyTorch: its timed loops; cnnfilter: the whole `train` command); others' cores: "
                 "what all other processes kept busy meanwhile (/proc/stat), above about 0.1 the machine was not "
                 "quiet and the row is slowed (PyTorch's OpenMP threads badly so). Test accuracy on the 10,000 test "
                 "images after the last epoch. peak MiB: the most resident memory (PyTorch: the benchmark's own process, "
                 "with the data set; cnnfilter: the train command).")
    for n in notes:
        lines.append(f"- {n}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the top of scripts/bench-train.py for what is measured and how.")
    p.add_argument("--cnnfilter", default=".build/release/cnnfilter", help="the binary (default %(default)s)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="IDX files (default %(default)s)")
    p.add_argument("--epochs", type=int, default=10, help="default %(default)s")
    p.add_argument("--nets", default="lenet5", help="comma-separated, of: " + ", ".join(NETS) + " (default %(default)s; "
                   "bn takes about 80 s an epoch in PyTorch on 2 cores)")
    p.add_argument("--torch-threads", type=int, default=2, help="PyTorch's and onnxruntime's threads (default %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="default %(default)s")
    p.add_argument("--limit", type=int, help="PyTorch trains on the first N training images only (needs --skip-cnnfilter)")
    p.add_argument("--work", default="/tmp/cnnfilter-bench-train", help="outputs (default %(default)s)")
    p.add_argument("--max-wait", type=float, default=600,
                   help="seconds to wait in all for running Swift builds to end (default %(default)s)")
    p.add_argument("--skip-cnnfilter", action="store_true")
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = p.parse_args()

    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    for n in nets:
        if n not in NETS:
            die(f"--nets: unknown '{n}' (known: {', '.join(NETS)})")
    if args.epochs < 1:
        die("--epochs must be at least 1")
    if args.skip_torch and args.skip_cnnfilter:
        die("--skip-torch and --skip-cnnfilter leave nothing to measure")
    if args.limit is not None and not args.skip_cnnfilter:
        die("--limit trains PyTorch on fewer images; `cnnfilter train` has no such option, so it needs --skip-cnnfilter")
    if args.limit is not None and not 64 <= args.limit <= 60000:
        die("--limit wants 64 to 60000 images")
    if not args.skip_cnnfilter:
        args.cnnfilter = os.path.abspath(os.path.join(ROOT, args.cnnfilter))
        if not os.access(args.cnnfilter, os.X_OK):
            die(f"no executable cnnfilter at {args.cnnfilter} (build it with `make build`, or give --cnnfilter PATH)")
    args.data = os.path.abspath(args.data)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    t_start = time.monotonic()
    load_start = open("/proc/loadavg").read().split()[0]
    if not args.skip_torch:
        import torch
        torch.set_num_threads(args.torch_threads)
    start_bin = None if args.skip_cnnfilter else bin_id(args.cnnfilter)

    images, labels, test_images, test_labels = load_fashion(args.data)
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    xtr, xte = to_unit(images), to_unit(test_images)
    ytr, yte = labels.astype(np.int64), test_labels.astype(np.int64)
    mean, std = statistics_of(xtr)
    say(f"{len(ytr)} training images: mean {mean:.6f}, std {std:.6f} (population, over all training pixels in [0, 1])")
    data = (xtr, ytr, xte, yte, mean, std)

    quiet, rows, notes = Quiet(args.max_wait), [], []
    notes.append(f"standardisation: mean {mean:.6f}, std {std:.6f} over the {len(ytr)} training images' pixels")
    for net in nets:
        arch = NETS[net][0]
        if arch == "lenet5":
            layers = parse_arch(LENET5, "lenet5")
        else:
            path = os.path.join(ROOT, arch)
            if not os.path.exists(path):
                die(f"no architecture file {path}")
            layers = parse_arch(open(path).read(), arch)
        if not args.skip_torch:
            quiet.wait(f"PyTorch {net}")
            say(f"pytorch {net}: {len(ytr)} images, {args.epochs} epochs, {args.torch_threads} thread{'s' if args.torch_threads != 1 else ''}"
                + (f", --augment {NETS[net][1]}" if NETS[net][1] else ""))
            cpu0 = time.process_time()
            row = train_torch(net, layers, data, args)
            # This process's peak so far: PyTorch, the data set as arrays and tensors, the training.
            row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            row["other_cores"], row["load"] = quiet.done(time.process_time() - cpu0)
            rows.append(row)
            notes.append(f"PyTorch {net}: load average {row['load']}; {row['parameters']:,} parameters; torch.manual_seed({args.seed}), "
                         f"shuffle and flips from torch.Generator seeded {args.seed}"
                         + (f"; trained on the first {len(ytr)} training images only (--limit)" if args.limit else ""))
        if not args.skip_cnnfilter:
            row = run_cnnfilter(net, args, xte, yte, quiet)
            rows.append(row)
            notes.append(f"cnnfilter {net}: `{row['command']}` (run in {ROOT}); then `{row.get('eval_command', 'n/a')}`; "
                         f"the whole train command took {row['wall_seconds']:.0f} s; load average {row['load']}")
            for key in ("error", "eval_error", "ort_error", "ort_note", "disagreement"):
                if row.get(key):
                    notes.append(f"cnnfilter {net}: {'accuracies disagree: ' if key == 'disagreement' else ''}{row[key]}")

    if quiet.disturbed:
        notes.append(f"WARNING: a Swift build ran while measuring {', '.join(quiet.disturbed)}: "
                     "those numbers are not valid")
    if quiet.waited:
        notes.append(f"waited {quiet.waited:.0f} s for Swift builds to end")
    if start_bin and bin_id(args.cnnfilter) != start_bin:
        notes.append(f"WARNING: {args.cnnfilter} was rebuilt during this run: rows may mix two builds")
    notes.append(f"this run of scripts/bench-train.py took {time.monotonic() - t_start:.0f} s; outputs in {args.work}")
    head = header(args, load_start)
    if args.json:
        print(json.dumps({"header": head, "mean": mean, "std": std, "rows": rows, "notes": notes}, indent=1))
    else:
        print(table(rows, notes, head))
    failed = any(r.get(k) for r in rows for k in ("error", "eval_error", "ort_error", "disagreement"))
    failed = failed or any(r["tool"] == "cnnfilter" and not r.get("agree") for r in rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
