#!/usr/bin/env python3
"""Filters many photos by calling cnnfilter from Python (the recipe in docs/batch.md).

    python3 scripts/batch-from-python.py CNNFILTER PHOTO_DIR OUT_DIR [SHARDS [KERNEL]]

Finds the JPEGs and PNGs under PHOTO_DIR, passes their names on standard input
(NUL-separated, so any name works), runs SHARDS processes at once (default 2)
and reports the failures cnnfilter lists in its summary. Exit status 1 if any file failed.
"""
import os
import subprocess
import sys


def filter_photos(cnnfilter, photo_dir, out_dir, shards=2, kernel="sharpen"):
    names = sorted(os.path.relpath(os.path.join(d, f), photo_dir)
                   for d, _, files in os.walk(photo_dir) for f in files
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    listing = b"".join(n.encode() + b"\0" for n in names)
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.abspath(out_dir) + "/"
    procs = [subprocess.Popen([cnnfilter, "--files-from", "-", "-0", "--shard", f"{i}/{shards}",
                               "--kernel", kernel, "-o", out, "--keep-tree", "--skip-existing"],
                              cwd=photo_dir, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(1, shards + 1)]
    failures = []
    for p in procs:
        _, err = p.communicate(listing)
        lines = err.decode().splitlines()
        # The summary is the last line without a failure, or the one ending in ':' before the failures.
        at = next((k for k, line in enumerate(lines) if " processed, " in line), None)
        if at is None:
            raise RuntimeError(f"cnnfilter stopped before its summary: {err.decode().strip()}")
        print(lines[at])
        failures += [line.removeprefix("cnnfilter: ") for line in lines[at + 1:]]
    return len(names), failures


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5, 6):
        sys.exit(__doc__)
    shards = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    total, failed = filter_photos(*sys.argv[1:4], shards, *sys.argv[5:6])
    for f in failed:
        print("failed:", f)
    sys.exit(1 if failed else 0)
