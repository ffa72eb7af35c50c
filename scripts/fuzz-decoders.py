#!/usr/bin/env python3
"""Mutation fuzzing of every decoder through the CLI.

    python3 scripts/fuzz-decoders.py [SEED] [COUNT] [path/to/cnnfilter]

Takes the codec fixtures and the worked-example text files, flips, cuts,
truncates and inserts random bytes, and filters each mutant into a random
output format. A run passes when every mutant ends with exit status 0 or 1
and, on 1, exactly one line on stderr (no crash, no signal, no traceback).
Mutants that fail are kept as crashN.bin in the work directory.
"""
import glob
import os
import random
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
binary = sys.argv[3] if len(sys.argv) > 3 else os.path.join(root, ".build/release/cnnfilter")
random.seed(seed)
sources = [f for f in glob.glob(os.path.join(root, "Tests/ImageCodecsTests/Fixtures/codecs/*.*"))
           if not f.endswith((".raw", ".json"))] + glob.glob(os.path.join(root, "images/worked/*"))
work = tempfile.mkdtemp(prefix="cnnfilter-fuzz-")
problems = 0
for i in range(count):
    data = bytearray(open(random.choice(sources), "rb").read())
    for _ in range(random.randint(1, 8)):
        op = random.random()
        if op < 0.5 and data:
            data[random.randrange(len(data))] = random.randrange(256)
        elif op < 0.7 and data:
            start = random.randrange(len(data))
            del data[start:start + random.randint(1, 50)]
        elif op < 0.85:
            data = data[: random.randrange(len(data) + 1)]
        else:
            p = random.randrange(len(data) + 1)
            data[p:p] = bytes(random.randrange(256) for _ in range(random.randint(1, 20)))
    path = os.path.join(work, f"in{i}.bin")
    open(path, "wb").write(data)
    kernel = random.choice(["laplacian", "gaussian:sigma=2", "1 0; 0 1", "sobel-x"])
    out = os.path.join(work, random.choice(["o.png", "o.jpg", "o.npy", "o.txt", "o.pgm"]))
    r = subprocess.run([binary, path, "--kernel", kernel, "-o", out], capture_output=True, timeout=60)
    lines = r.stderr.decode(errors="replace").strip().split("\n")
    if r.returncode not in (0, 1) or (r.returncode == 1 and len(lines) != 1):
        problems += 1
        print("PROBLEM", i, r.returncode, r.stderr[:300])
        os.rename(path, os.path.join(work, f"crash{i}.bin"))
    else:
        os.remove(path)
print(f"{count - problems} passed, {problems} failed")
sys.exit(1 if problems else 0)
