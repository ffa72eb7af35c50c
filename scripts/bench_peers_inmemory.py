#!/usr/bin/env python3
"""The Python side of scripts/bench-peers.sh: OpenCV's in-memory convolutions,
and the few helpers that script needs (images, kernel file, OpenCV end to end,
output checks, the final table). Peers are for benchmarking only.

  bench_peers_inmemory.py [inmemory] [--size WxH] [--dense15 FILE] [--threads 2,1]
      OpenCV on an H x W x 3 float32 array (seeded random values), the kernels
      cnnfilter's `bench` runs: laplacian 3x3 and unsharp-5 (cv2.filter2D),
      gaussian sigma=3, 19 taps (cv2.sepFilter2D), the dense 15x15 from FILE
      (cv2.filter2D); all with BORDER_REFLECT_101 (cnnfilter's 'reflect')
      into a preallocated output; plus np.copyto of the same 144 MB as a copy
      baseline. One JSON object per line; ms is the median of the timed runs
      after one warm-up run (7 runs if the warm-up took < 1 s, 5 if < 3 s,
      else 3).
  bench_peers_inmemory.py make-kernel FILE        the fixed dense 15x15 kernel
  bench_peers_inmemory.py make-images REPO_PNG DIR  big.png / big.jpg, 4000x3000
  bench_peers_inmemory.py make-huge FILE W H      a W x H RGB PNG, written in row chunks
  bench_peers_inmemory.py e2e-opencv IN OUT       imread -> filter2D -> imwrite, timed in-process
  bench_peers_inmemory.py imports                 import cv2 and numpy only (baseline peak RSS)
  bench_peers_inmemory.py check DIR               mean, difference to cnnfilter, size of each output
  bench_peers_inmemory.py table RESULTS.jsonl HEADER  the markdown table
"""

import argparse
import json
import os
import statistics
import struct
import sys
import time
import zlib

LAPLACIAN = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
UNSHARP5 = [[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, -476, 24, 6],
            [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]]  # times -1/256
SIGMA = 3.0


def fail(msg):
    print(f"bench_peers_inmemory.py: {msg}", file=sys.stderr)
    sys.exit(1)


def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        assert w > 0 and h > 0
        return w, h
    except (ValueError, AssertionError):
        fail(f"--size wants WxH, e.g. 4000x3000, not {text!r}")


def timed_runs(fn):
    """One warm-up call, then 7 / 5 / 3 timed calls by the warm-up's length."""
    t = time.perf_counter()
    fn()
    warm = time.perf_counter() - t
    runs = 7 if warm < 1 else 5 if warm < 3 else 3
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2), "runs": runs}


def read_kernel(path):
    """Rows of numbers (the subset of cnnfilter's kernel format this script writes)."""
    import numpy as np
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line and ":" not in line:
                rows.append([float(v) for v in line.replace(",", " ").split()])
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        fail(f"{path}: not a rectangular kernel")
    return np.array(rows, dtype=np.float32)


# ---------------------------------------------------------------- modes

def make_kernel(args):
    import numpy as np
    rng = np.random.default_rng(15)
    k = rng.uniform(-1.0, 1.0, (15, 15))
    k[7, 7] += 1.0  # keeps the image visible; still a full-rank, non-separable kernel
    rank = np.linalg.matrix_rank(k)
    if rank < 2:
        fail("dense15 came out rank-1 (separable); change the seed")
    os.makedirs(os.path.dirname(os.path.abspath(args.file)), exist_ok=True)
    text = "\n".join(" ".join(f"{v:.6f}" for v in row) for row in k) + "\n"
    tmp = args.file + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.file)


def inmemory(args):
    import cv2
    import numpy as np
    w, h = parse_size(args.size)
    img = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
    dst = np.empty_like(img)
    border = cv2.BORDER_REFLECT_101
    gauss = cv2.getGaussianKernel(2 * int(np.ceil(3 * SIGMA)) + 1, SIGMA, cv2.CV_32F)  # 19 taps
    jobs = [
        ("laplacian", "filter2D", np.array(LAPLACIAN, np.float32)),
        ("gaussian:sigma=3", "sepFilter2D", gauss),
        ("unsharp-5", "filter2D", np.array(UNSHARP5, np.float32) * np.float32(-1 / 256)),
    ]
    if args.dense15:
        jobs.append(("dense15", "filter2D", read_kernel(args.dense15)))
    threads = [int(t) for t in args.threads.split(",") if t]
    common = {"width": w, "height": h, "channels": 3}
    for name, op, k in jobs:
        if op == "filter2D":
            fn = lambda k=k: cv2.filter2D(img, cv2.CV_32F, k, dst=dst, borderType=border)
            kh, kw = k.shape
        else:
            fn = lambda k=k: cv2.sepFilter2D(img, cv2.CV_32F, k, k, dst=dst, borderType=border)
            kh = kw = len(k)
        for t in threads:
            cv2.setNumThreads(t)
            rec = {"tool": "opencv", "kernel": name, "op": op, "kh": kh, "kw": kw, **common,
                   "threads": cv2.getNumThreads(), **timed_runs(fn)}
            print(json.dumps(rec), flush=True)
    rec = {"tool": "numpy", "kernel": "copy", "op": "np.copyto", **common, "threads": 1,
           **timed_runs(lambda: np.copyto(dst, img))}
    print(json.dumps(rec), flush=True)


def make_images(args):
    """The end-to-end photo: images/astronaut.png upscaled to 4000x3000 plus noise in [-6, 6], seed 1."""
    import numpy as np
    from PIL import Image
    im = np.asarray(Image.open(args.repo_png).convert("RGB").resize((4000, 3000), Image.BICUBIC)).astype(np.int16)
    rng = np.random.default_rng(1)
    im = np.clip(im + rng.integers(-6, 7, im.shape), 0, 255).astype(np.uint8)
    for name, kw in (("big.png", {}), ("big.jpg", {"quality": 90})):
        tmp = os.path.join(args.dir, "tmp-" + name)
        Image.fromarray(im).save(tmp, **kw)
        os.replace(tmp, os.path.join(args.dir, name))


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def make_huge(args):
    """Gradient + uniform noise in [-6, 6], RGB 8-bit, 'Sub' row filter, zlib level 1.
    Rows are made, filtered and compressed 256 at a time, so memory stays ~50 MB."""
    import numpy as np
    w, h = args.width, args.height
    rng = np.random.default_rng(2)
    x = np.arange(w, dtype=np.float32)
    comp = zlib.compressobj(1)
    tmp = args.file + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        for y0 in range(0, h, 256):
            y = np.arange(y0, min(h, y0 + 256), dtype=np.float32)[:, None]
            band = np.empty((len(y), w, 3), np.int16)
            band[..., 0] = 255 * x / w + 0 * y
            band[..., 1] = 255 * y / h + 0 * x
            band[..., 2] = 127 + 100 * np.sin(x / 97 + y / 131)
            band += rng.integers(-6, 7, band.shape, dtype=np.int16)
            rows = np.clip(band, 0, 255).astype(np.uint8).reshape(len(y), w * 3)
            filt = np.empty((len(y), w * 3 + 1), np.uint8)
            filt[:, 0] = 1  # Sub: each byte minus the same channel of the pixel to its left
            filt[:, 1:4] = rows[:, :3]
            filt[:, 4:] = rows[:, 3:] - rows[:, :-3]  # uint8 wraps modulo 256, as PNG wants
            data = comp.compress(filt.tobytes())
            if data:
                f.write(png_chunk(b"IDAT", data))
        f.write(png_chunk(b"IDAT", comp.flush()))
        f.write(png_chunk(b"IEND", b""))
    os.replace(tmp, args.file)


def e2e_opencv(args):
    import cv2
    import numpy as np
    cv2.setNumThreads(args.threads)
    k = np.array(LAPLACIAN, np.float32)
    ext = os.path.splitext(args.output)[1].lower()
    # cnnfilter's own output settings: zlib level 6 with the run-length strategy
    # (files of the same size, 18.3 MB for the Laplacian photo), JPEG quality 90.
    if ext == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 6, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    else:
        params = [cv2.IMWRITE_JPEG_QUALITY, 90]

    phases = {"read": [], "filter": [], "write": []}

    def once():
        t0 = time.perf_counter()
        img = cv2.imread(args.input, cv2.IMREAD_COLOR)
        if img is None:
            fail(f"cv2.imread could not read {args.input}")
        t1 = time.perf_counter()
        res = cv2.filter2D(img, cv2.CV_16S, k, borderType=cv2.BORDER_REFLECT_101)
        out = np.clip(res, 0, 255).astype(np.uint8)
        t2 = time.perf_counter()
        if not cv2.imwrite(args.output, out, params):
            fail(f"cv2.imwrite could not write {args.output}")
        t3 = time.perf_counter()
        for key, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2)):
            phases[key].append(v * 1000)

    rec = {"tool": "opencv", "input": args.input, "threads": cv2.getNumThreads(), **timed_runs(once)}
    # Medians of the timed runs only (the first entry is the warm-up).
    rec.update({f"{key}_ms": round(statistics.median(v[1:]), 1) for key, v in phases.items()})
    if ext == ".png":
        # What other PNG settings would cost: one write each of the same result.
        img = cv2.imread(args.input, cv2.IMREAD_COLOR)
        out = np.clip(cv2.filter2D(img, cv2.CV_16S, k, borderType=cv2.BORDER_REFLECT_101), 0, 255).astype(np.uint8)
        alt = args.output + ".alt.png"
        rec["png_alternatives"] = []
        for label, p in (("OpenCV's default (level 1)", []), ("level 6, default strategy", [cv2.IMWRITE_PNG_COMPRESSION, 6])):
            t = time.perf_counter()
            cv2.imwrite(alt, out, p)
            rec["png_alternatives"].append({"label": label, "ms": round((time.perf_counter() - t) * 1000),
                                            "size_mb": round(os.path.getsize(alt) / 1e6, 1)})
        os.remove(alt)
    print(json.dumps(rec), flush=True)


def imports(_args):
    import cv2  # noqa: F401
    import numpy  # noqa: F401


def check(args):
    """Mean value, difference to cnnfilter's output (interior, away from the
    border rules that differ) and file size of every output in DIR."""
    import numpy as np
    from PIL import Image
    for ext in ("png", "jpg"):
        ref_path = os.path.join(args.dir, f"out-cnnfilter.{ext}")
        if not os.path.exists(ref_path):
            continue
        ref = np.asarray(Image.open(ref_path).convert("RGB")).astype(np.int16)
        for tool in ("cnnfilter", "vips-integer", "vips-float", "imagemagick", "opencv"):
            path = os.path.join(args.dir, f"out-{tool}.{ext}")
            if not os.path.exists(path):
                continue
            a = np.asarray(Image.open(path).convert("RGB")).astype(np.int16)
            rec = {"part": "check", "ext": ext, "tool": tool, "mean": round(float(a.mean()), 2),
                   "size_mb": round(os.path.getsize(path) / 1e6, 1)}
            if a.shape == ref.shape:
                d = np.abs(a - ref)[1:-1, 1:-1]
                rec["max_diff"] = int(d.max())
                rec["equal_pct"] = round(100 * float((d == 0).mean()), 2)
            else:
                rec["shape"] = list(a.shape)
            print(json.dumps(rec))


# ---------------------------------------------------------------- table

def fmt_ms(v):
    return "n/a" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def fmt_ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def table(args):
    recs = []
    with open(args.results) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    print(args.header)
    print()
    print("| job | peer | cnnfilter ms | peer ms | cnnfilter ÷ peer | ÷ copy: cnnfilter / peer "
          "| peak RSS MB: cnnfilter / peer | notes |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    notes = []

    # In memory: cnnfilter bench vs OpenCV (2 threads), per kernel; then the copies.
    mem = [r for r in recs if r.get("part") == "mem"]
    cnn = {r["kernel"]: r for r in mem if r["tool"] == "cnnfilter"}
    cv = {}
    for r in mem:
        if r["tool"] == "opencv":
            cv.setdefault(r["kernel"], {})[r["threads"]] = r
    npcopy = next((r for r in mem if r["tool"] == "numpy"), None)
    cnn_err = next((r.get("error") for r in mem if r["tool"] == "cnnfilter-error"), None)
    copies = [r["copy_ms"] for r in cnn.values() if r.get("copy_ms") is not None]
    cnn_copy = statistics.median(copies) if copies else None
    np_copy = npcopy["ms"] if npcopy else None
    for name, by_threads in cv.items():
        two = by_threads.get(max(by_threads))
        one = by_threads.get(1)
        c = cnn.get(name, {})
        cms = c.get("ms")
        size = f"{two['width']}×{two['height']}×3 f32"
        shown = "dense15 (fixed random, full rank)" if name == "dense15" else name
        label = f"in memory {shown} {two['kh']}×{two['kw']} ({size})"
        note = [f"OpenCV {two['op']}, {two['threads']} threads"]
        if c.get("separable") is not None:
            note.insert(0, f"cnnfilter {'separable' if c['separable'] else 'dense'} path"
                           + (f", {c['cores']} cores" if c.get("cores") else ""))
        if one and one is not two:
            note.append(f"1 thread {fmt_ms(one['ms'])} ms")
        if c and (c.get("kh"), c.get("kw")) != (two["kh"], two["kw"]):
            note.append(f"cnnfilter reports {c.get('kh')}×{c.get('kw')}!")
        print(f"| {label} | OpenCV | {fmt_ms(cms)} | {fmt_ms(two['ms'])} | {fmt_ratio(cms, two['ms'])} "
              f"| {fmt_ratio(cms, cnn_copy)} / {fmt_ratio(two['ms'], np_copy)} | – | {'; '.join(note)} |")
    if npcopy:
        mb = npcopy["width"] * npcopy["height"] * 3 * 4 / 1e6
        print(f"| in memory copy {mb:.0f} MB | np.copyto | {fmt_ms(cnn_copy)} | {fmt_ms(np_copy)} "
              f"| {fmt_ratio(cnn_copy, np_copy)} | {fmt_ratio(cnn_copy, cnn_copy)} / 1.00 | – | cnnfilter: its bench's copy_ms (median over kernels) |")
    if cnn_err:
        notes.append(f"cnnfilter in memory: n/a — `cnnfilter bench` failed or printed no JSON: {cnn_err}")

    # End to end.
    checks = {(r["ext"], r["tool"]): r for r in recs if r.get("part") == "check"}
    e2e = [r for r in recs if r.get("part") == "e2e"]
    names = {"vips-integer": "vips conv --precision integer", "vips-float": "vips conv --precision float",
             "imagemagick": "ImageMagick convert -morphology", "opencv": "OpenCV (in-process)"}
    for ext in ("png", "jpg"):
        rows = {r["tool"]: r for r in e2e if r["ext"] == ext}
        c = rows.get("cnnfilter")
        if not c:
            continue
        cref = checks.get((ext, "cnnfilter"), {})
        for tool, r in rows.items():
            if tool == "cnnfilter":
                continue
            ch = checks.get((ext, tool), {})
            note = []
            if cref and ch:
                note.append(f"output mean {ch['mean']:.2f} (cnnfilter {cref['mean']:.2f})")
                if "max_diff" in ch:
                    note.append(f"interior max diff {ch['max_diff']}" if ch["max_diff"] else "interior identical")
                note.append(f"{ch['size_mb']} MB (cnnfilter {cref['size_mb']} MB)")
            if tool == "vips-integer" and ch and ch["mean"] < 0.5 < cref.get("mean", 0):
                note.append("ALL BLACK: vips integer is wrong here")
            if r.get("note"):
                note.append(r["note"])
            rss = f"{c['rss_mb']:.0f} / {r['rss_mb']:.0f}" if r.get("rss_mb") is not None else f"{c['rss_mb']:.0f} / –"
            print(f"| laplacian {ext} → {ext}, 4000×3000 | {names.get(tool, tool)} | {fmt_ms(c['ms'])} "
                  f"| {fmt_ms(r['ms'])} | {fmt_ratio(c['ms'], r['ms'])} | – | {rss} | {'; '.join(note)} |")

    for r in recs:
        if r.get("part") == "huge":
            print(f"| laplacian png → png, {r['width']}×{r['height']} (1 run) | – | {fmt_ms(r['ms'])} | – | – | – "
                  f"| {r['rss_mb']:.0f} / – | input {r['in_mb']:.0f} MB, output {r['out_mb']:.0f} MB; "
                  f"raw RGB {r['width'] * r['height'] * 3 / 1e6:.0f} MB; "
                  + (f"input made in {r['make_s']} s (not timed)" if r.get("make_s") is not None else "input cached")
                  + " |")

    print()
    print("cnnfilter ÷ peer: cnnfilter's median time divided by the peer's (below 1: cnnfilter is faster). "
          "÷ copy: each tool's median time divided by a plain copy of the same bytes timed by the same tool "
          "(cnnfilter: its bench's copy_ms; peer: np.copyto).")
    for n in notes:
        print(n)
    for r in recs:
        if r.get("part") == "note":
            print(r["text"])


def main():
    argv = sys.argv[1:]
    modes = {"inmemory", "make-kernel", "make-images", "make-huge", "e2e-opencv", "imports", "check", "table"}
    if not argv or argv[0] not in modes and argv[0] not in ("-h", "--help"):
        argv = ["inmemory"] + argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("inmemory")
    s.add_argument("--size", default="4000x3000")
    s.add_argument("--dense15", help="kernel file of the dense 15x15 (make-kernel writes it)")
    s.add_argument("--threads", default="2", help="comma-separated cv2.setNumThreads values, e.g. 2,1")
    s.set_defaults(fn=inmemory)
    s = sub.add_parser("make-kernel")
    s.add_argument("file")
    s.set_defaults(fn=make_kernel)
    s = sub.add_parser("make-images")
    s.add_argument("repo_png")
    s.add_argument("dir")
    s.set_defaults(fn=make_images)
    s = sub.add_parser("make-huge")
    s.add_argument("file")
    s.add_argument("width", type=int)
    s.add_argument("height", type=int)
    s.set_defaults(fn=make_huge)
    s = sub.add_parser("e2e-opencv")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--threads", type=int, default=2)
    s.set_defaults(fn=e2e_opencv)
    s = sub.add_parser("imports")
    s.set_defaults(fn=imports)
    s = sub.add_parser("check")
    s.add_argument("dir")
    s.set_defaults(fn=check)
    s = sub.add_parser("table")
    s.add_argument("results")
    s.add_argument("header")
    s.set_defaults(fn=table)
    args = p.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
