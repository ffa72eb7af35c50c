#!/usr/bin/env python3
"""Write the hostile inputs that docs/robustness.md measures cnnfilter against.

    python3 scripts/make-hostile-inputs.py [DIR]     (default: /tmp/cnnfilter-hostile)

Standard library only (zlib, struct), so the files come from code that shares
nothing with cnnfilter's parsers:

- ragged-wide.txt    16 MB text matrix, 4000 values a row, the last row one short
- ragged-tall.txt    16 MB text matrix, one value a row, the last row two values
- ragged-two.txt     16 MB text matrix of two rows, the second one value short
- long-token.txt     one 16 MB token that is not a number
- ragged.kernel      16 MB kernel file of two rows, the second one value short
- crlf.txt           '0 1 2' / '3 4 5' with CRLF line endings (and a CR-terminated last line)
- crlf.kernel        a 3x3 kernel file with CRLF line endings
- interlaced-huge.png  an Adam7-interlaced 12000x12000 RGBA PNG (all zero pixels, ~560 KB)
- interlaced-8000.png  the same at 8000x8000 (244 MiB decoded, under the budget for whole images)
- maybe.npy          a 2x2 float32 array whose header says 'fortran_order': Maybe

Then, for example:

    /usr/bin/time -v .build/debug/cnnfilter DIR/ragged-wide.txt --kernel identity --print
"""
import os
import struct
import sys
import zlib

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/cnnfilter-hostile"
os.makedirs(out, exist_ok=True)
MB16 = 16 * 1024 * 1024


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def ragged_wide():
    row = b" ".join([b"1"] * 4000) + b"\n"          # 8000 bytes
    rows = MB16 // len(row)
    return row * (rows - 1) + b" ".join([b"1"] * 3999) + b"\n"


write("ragged-wide.txt", ragged_wide())
write("ragged-tall.txt", b"1\n" * (MB16 // 2 - 2) + b"1 1\n")
half = MB16 // 4
write("ragged-two.txt", b" ".join([b"1"] * half) + b"\n" + b" ".join([b"1"] * (half - 1)) + b"\n")
write("long-token.txt", b"1" * (MB16 - 2) + b"x\n")
write("ragged.kernel", b"name: big\n" + open(os.path.join(out, "ragged-two.txt"), "rb").read())
write("crlf.txt", b"0 1 2\r\n3 4 5\r")
write("crlf.kernel", b"# CRLF\r\nname: crlf\r\nscale: 1/16\r\n1 2 1\r\n2 4 2\r\n1 2 1\r\n")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def interlaced_png(width, height):
    """RGBA, 8 bits, Adam7: each pass's rows are a filter byte and zero samples."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    z = zlib.compressobj(9)
    idat = []
    for x0, y0, dx, dy in passes:
        w = (width - x0 + dx - 1) // dx if width > x0 else 0
        h = (height - y0 + dy - 1) // dy if height > y0 else 0
        if w == 0 or h == 0:
            continue
        row = bytes(1 + 4 * w)
        for _ in range(h):
            idat.append(z.compress(row))
    idat.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


write("interlaced-huge.png", interlaced_png(12000, 12000))
write("interlaced-8000.png", interlaced_png(8000, 8000))


def npy(header, data):
    h = header.encode("latin1")
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data


write("maybe.npy", npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }", struct.pack("<4f", 1, 2, 3, 4)))
for name in sorted(os.listdir(out)):
    print(f"{os.path.getsize(os.path.join(out, name)):>10}  {os.path.join(out, name)}")
