#!/usr/bin/env python3
"""Check that what cnnfilter writes, an independent reader reads back identically.

Usage, from anywhere:

    python3 scripts/check-written.py [path/to/cnnfilter]

The binary defaults to .build/debug/cnnfilter under the repository root (this
script's parent folder); a path given on the command line is taken relative to
the current directory.

Inputs are the codec fixtures in Tests/ImageCodecsTests/Fixtures/codecs/ (made
by scripts/make-fixtures.py from pypng, Pillow and numpy); the expected pixels
are the fixture's .raw file listed in manifest.json, i.e. the input's pixels.
Every check runs `cnnfilter INPUT --kernel identity -o TMPDIR/OUT.EXT [...]`
and reads OUT back with an outside reader:

  - PNG: pypng asDirect (keeps 16 bits) and, for 8-bit files and 16-bit grey,
    Pillow too; exact; also the colour type and bit depth in IHDR;
  - PGM/PPM: Pillow for 8 bits, a few lines of parsing here for 16 bits
    (big-endian samples, maxval 65535); exact; alpha dropped;
  - JPEG: Pillow; size and channel count exact, mean absolute error against
    the input below JPEG_MAE at --quality 95, and the quantisation tables are
    the ones libjpeg's jpeg_set_quality(95) gives (Pillow's own q95 file).
    The inputs are the smooth, photo-like JPEG fixtures (the noisy synthetic
    PNGs lose ~10 levels to 4:2:0 chroma subsampling in any encoder), and an
    RGBA PNG made here with pypng from one of them plus an alpha ramp;
  - NPY: numpy.load; float32, C x H x W (H x W for one channel), values
    input / 255 or / 65535 within 1e-6;
  - TXT: numpy.loadtxt on each blank-line-separated channel block, same values
    within 1e-6.

Writes must be atomic: a write that fails part-way (the file size limit
RLIMIT_FSIZE set low for cnnfilter, SIGXFSZ ignored, so write() fails with
EFBIG) must exit non-zero, leave an existing target untouched and remove its
temporary file; an existing target is replaced by a complete file; and at the
end the output folder holds no hidden temporary files (`.NAME.XXXXXX`).

Prints `ok NAME` or `FAIL NAME: reason` per check and then one line
`N passed, M failed`; exits 1 if anything failed (or a dependency is
missing), else 0.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
    import png  # pypng
    from PIL import Image
except ImportError as e:  # pragma: no cover
    print("check-written.py needs numpy, Pillow and pypng (pip install numpy pillow pypng): %s" % e)
    sys.exit(1)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/ImageCodecsTests/Fixtures/codecs"
JPEG_QUALITY = 95
JPEG_MAE = 3.0      # mean absolute error bound, in 8-bit levels, at JPEG_QUALITY
FLOAT_TOL = 1e-6
RUN_TIMEOUT = 120   # seconds per cnnfilter run


class Fail(Exception):
    pass


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

def load_manifest():
    cases = json.loads((FIXTURES / "manifest.json").read_text())
    return {c["file"]: c for c in cases}


MANIFEST = None


EXTRA = {}  # inputs made at run time: path name -> (expected array, depth)


def expected(file):
    """The fixture's expected samples: int64 array (H, W, C) and its depth."""
    if file in EXTRA:
        return EXTRA[file]
    c = MANIFEST[file]
    dt = np.uint8 if c["depth"] == 8 else np.dtype("<u2")
    a = np.fromfile(FIXTURES / c["raw"], dtype=dt).astype(np.int64)
    return a.reshape(c["height"], c["width"], c["channels"]), c["depth"]


# ---------------------------------------------------------------------------
# Running cnnfilter
# ---------------------------------------------------------------------------

BINARY = None
OUTDIR = None


def input_path(input_file):
    return OUTDIR.parent / input_file if input_file in EXTRA else FIXTURES / input_file


def limit_file_size():
    """preexec_fn: files of at most 200 bytes; writing more fails with EFBIG."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))


def run(input_file, out_name, *args, expect_ok=True, preexec=None):
    out = OUTDIR / out_name
    cmd = [str(BINARY), str(input_path(input_file)), "--kernel", "identity", "-o", str(out)] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=RUN_TIMEOUT, preexec_fn=preexec)
    shown = "cnnfilter %s --kernel identity -o %s%s" % (input_file, out_name, "".join(" " + a for a in args))
    if expect_ok:
        if p.returncode != 0:
            raise Fail("`%s` exited %d: %s" % (shown, p.returncode, p.stderr.decode(errors="replace").strip()))
        if not out.is_file():
            raise Fail("`%s` exited 0 but wrote no %s" % (shown, out_name))
    return out, p


def compare(got, want, what, tol=0):
    """got, want: arrays of the same intended shape."""
    if got.shape != want.shape:
        raise Fail("%s: shape %s, expected %s" % (what, got.shape, want.shape))
    d = np.abs(got.astype(np.float64) - want.astype(np.float64))
    worst = d.max() if d.size else 0
    if worst > tol:
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(d), d.shape))
        n = int((d > tol).sum())
        raise Fail("%s: %d of %d samples differ (largest %s at %s: got %r, expected %r)" % (
            what, n, d.size, "%g" % worst, idx, got[idx].item(), want[idx].item()))


# ---------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------

def png_ihdr(path):
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise Fail("%s is not a PNG" % path.name)
    return data[24], data[25]  # bit depth, colour type


def read_pypng(path):
    w, h, rows, info = png.Reader(filename=str(path)).asDirect()
    planes = info["planes"]
    a = np.array([list(r) for r in rows], dtype=np.int64).reshape(h, w, planes)
    return a, info["bitdepth"]


PIL_MODES = {1: ("L",), 2: ("LA",), 3: ("RGB",), 4: ("RGBA",)}


def read_pillow(path, channels, depth):
    im = Image.open(path)
    im.load()
    if depth == 16:
        if channels != 1 or im.mode not in ("I;16", "I;16B", "I"):
            raise Fail("Pillow reads %s as mode %s" % (path.name, im.mode))
    elif im.mode not in PIL_MODES[channels]:
        raise Fail("Pillow reads %s as mode %s, expected %s" % (path.name, im.mode, PIL_MODES[channels][0]))
    a = np.asarray(im).astype(np.int64)
    return a[..., None] if a.ndim == 2 else a


def read_pnm16(path):
    """Binary P5/P6 with maxval > 255: big-endian 16-bit samples."""
    data = path.read_bytes()
    magic = data[:2]
    if magic not in (b"P5", b"P6"):
        raise Fail("%s starts with %r, not P5/P6" % (path.name, magic))
    fields, i = [], 2
    while len(fields) < 3:
        while i < len(data) and data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            while i < len(data) and data[i] not in b"\r\n":
                i += 1
            continue
        j = i
        while j < len(data) and data[j:j + 1].isdigit():
            j += 1
        if j == i:
            raise Fail("%s: bad PNM header near byte %d" % (path.name, i))
        fields.append(int(data[i:j]))
        i = j
    if not data[i:i + 1].isspace():
        raise Fail("%s: no whitespace after maxval" % path.name)
    i += 1
    w, h, maxval = fields
    c = 1 if magic == b"P5" else 3
    if maxval != 65535:
        raise Fail("%s: maxval %d, expected 65535" % (path.name, maxval))
    body = data[i:]
    if len(body) != w * h * c * 2:
        raise Fail("%s: %d bytes of samples, expected %d for %dx%dx%d at 16 bits" % (
            path.name, len(body), w * h * c * 2, w, h, c))
    return np.frombuffer(body, ">u2").astype(np.int64).reshape(h, w, c), magic


def pnm_header(path):
    data = path.read_bytes()[:64]
    return data[:2], data


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

PNG_COLOUR = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> IHDR colour type


def check_png(input_file, out_name, *args, depth=None, scale=None, pillow=True):
    """depth: expected output depth (default: the input's); scale: '8to16' or
    '16to8' conversion of the expected samples."""
    want, in_depth = expected(input_file)
    if scale == "16to8":
        want = (want * 255 * 2 + 65535) // (2 * 65535)  # round(v * 255 / 65535); never a tie
    elif scale == "8to16":
        want = want * 257
    depth = depth or in_depth
    channels = want.shape[2]
    out, _ = run(input_file, out_name, *args)
    bd, ct = png_ihdr(out)
    if (bd, ct) != (depth, PNG_COLOUR[channels]):
        raise Fail("IHDR bit depth %d colour type %d, expected %d and %d" % (bd, ct, depth, PNG_COLOUR[channels]))
    got, got_depth = read_pypng(out)
    if got_depth != depth:
        raise Fail("pypng: bit depth %d, expected %d" % (got_depth, depth))
    compare(got, want, "pypng")
    if pillow and (depth == 8 or channels == 1):
        compare(read_pillow(out, channels, depth), want, "Pillow")


def check_pnm(input_file, out_name, *args):
    want, depth = expected(input_file)
    if want.shape[2] in (2, 4):
        want = want[..., :-1]  # alpha dropped
    channels = want.shape[2]
    magic_want = b"P5" if channels == 1 else b"P6"
    out, _ = run(input_file, out_name, *args)
    if depth == 8:
        magic, head = pnm_header(out)
        if magic != magic_want:
            raise Fail("magic %r, expected %r" % (magic, magic_want))
        compare(read_pillow(out, channels, 8), want, "Pillow")
    else:
        got, magic = read_pnm16(out)
        if magic != magic_want:
            raise Fail("magic %r, expected %r" % (magic, magic_want))
        compare(got, want, "16-bit PNM")


def check_jpeg(input_file, out_name, *args):
    want, depth = expected(input_file)
    assert depth == 8
    if want.shape[2] in (2, 4):
        want = want[..., :-1]
    channels = want.shape[2]
    out, _ = run(input_file, out_name, "--quality", str(JPEG_QUALITY), *args)
    im = Image.open(out)
    im.load()
    if im.format != "JPEG":
        raise Fail("Pillow reads it as %s, not JPEG" % im.format)
    if im.mode != ("L" if channels == 1 else "RGB"):
        raise Fail("Pillow mode %s, expected %s" % (im.mode, "L" if channels == 1 else "RGB"))
    got = np.asarray(im).astype(np.int64)
    got = got[..., None] if got.ndim == 2 else got
    if got.shape != want.shape:
        raise Fail("shape %s, expected %s" % (got.shape, want.shape))
    mae = np.abs(got - want).mean()
    if not mae < JPEG_MAE:
        raise Fail("mean absolute error %.3f levels at --quality %d, expected < %g" % (mae, JPEG_QUALITY, JPEG_MAE))
    # --quality honoured: the same tables as libjpeg's jpeg_set_quality (Pillow's own file at that quality).
    ref = OUTDIR.parent / ("pillow-" + out_name)
    Image.fromarray(want[..., 0].astype(np.uint8) if channels == 1 else want.astype(np.uint8)).save(
        ref, "JPEG", quality=JPEG_QUALITY)
    qt_ref = Image.open(ref).quantization
    qt_got = im.quantization
    if qt_got != qt_ref:
        raise Fail("quantisation tables differ from libjpeg's at quality %d (first entries: got %s, expected %s)" % (
            JPEG_QUALITY, {k: list(v[:4]) for k, v in qt_got.items()}, {k: list(v[:4]) for k, v in qt_ref.items()}))


def values_chw(input_file):
    want, depth = expected(input_file)
    vals = np.transpose(want, (2, 0, 1)).astype(np.float64) / (255.0 if depth == 8 else 65535.0)
    return vals[0] if vals.shape[0] == 1 else vals


def check_npy(input_file, out_name, *args):
    want = values_chw(input_file)
    out, _ = run(input_file, out_name, *args)
    a = np.load(out, allow_pickle=False)
    if a.dtype != np.float32:
        raise Fail("dtype %s, expected float32" % a.dtype)
    compare(a, want, "numpy.load", FLOAT_TOL)


def check_txt(input_file, out_name, *args):
    want = values_chw(input_file)
    out, _ = run(input_file, out_name, *args)
    text = out.read_text()
    blocks, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    planes = [np.loadtxt(b, dtype=np.float64, ndmin=2) for b in blocks]
    n_want = 1 if want.ndim == 2 else want.shape[0]
    if len(planes) != n_want:
        raise Fail("%d blank-line-separated blocks, expected %d channels" % (len(planes), n_want))
    shapes = {p.shape for p in planes}
    if len(shapes) != 1:
        raise Fail("channel blocks have different shapes %s" % sorted(shapes))
    got = planes[0] if n_want == 1 else np.stack(planes)
    compare(got, want, "numpy.loadtxt", FLOAT_TOL)


def make_rgba_input():
    """rgba-smooth.png in the work folder: rgb-q90's pixels plus an alpha ramp,
    written by pypng."""
    rgb, _ = expected("rgb-q90.jpg")
    h, w, _ = rgb.shape
    alpha = (np.arange(w)[None, :, None] * 255 // (w - 1)).repeat(h, axis=0)
    rgba = np.concatenate([rgb, alpha], axis=2)
    with open(OUTDIR.parent / "rgba-smooth.png", "wb") as f:
        png.Writer(w, h, greyscale=False, alpha=True, bitdepth=8).write(
            f, [list(map(int, rgba[y].reshape(-1))) for y in range(h)])
    EXTRA["rgba-smooth.png"] = (rgba, 8)


def check_failed_write_leaves_nothing():
    """A write that fails part-way (file size limit) must fail, keep the old
    target and remove its temporary file; a later good write replaces it."""
    sub = OUTDIR / "limited"
    sub.mkdir()
    target = sub / "rgb8.txt"
    target.write_text("old content\n")
    shown = "cnnfilter rgb8.png --kernel identity -o limited/rgb8.txt"
    _, p = run("rgb8.png", "limited/rgb8.txt", expect_ok=False, preexec=limit_file_size)
    if p.returncode == 0:
        raise Fail("`%s` under a 200-byte file size limit exited 0" % shown)
    if target.read_text() != "old content\n":
        raise Fail("`%s` failed (exit %d) but changed the existing target" % (shown, p.returncode))
    left = sorted(n for n in os.listdir(sub) if n != "rgb8.txt")
    if left:
        raise Fail("`%s` failed (exit %d) and left %s behind" % (shown, p.returncode, left))
    run("rgb8.png", "limited/rgb8.txt")
    got = np.loadtxt(target.read_text().split("\n\n")[0].splitlines(), ndmin=2)
    compare(got, values_chw("rgb8.png")[0], "existing target replaced, channel 0", FLOAT_TOL)


def check_no_temp_files():
    hidden = sorted(str(p.relative_to(OUTDIR)) for p in OUTDIR.rglob(".*"))
    if hidden:
        raise Fail("hidden files left in the output folder: %s" % hidden)


CHECKS = [
    # PNG, lossless, same depth as the input.
    ("png-grey8", lambda: check_png("grey8.png", "grey8.png")),
    ("png-grey16", lambda: check_png("grey16.png", "grey16.png")),
    ("png-greyalpha8", lambda: check_png("greyalpha8.png", "greyalpha8.png")),
    ("png-greyalpha16", lambda: check_png("greyalpha16.png", "greyalpha16.png")),
    ("png-rgb8", lambda: check_png("rgb8.png", "rgb8.png")),
    ("png-rgb16", lambda: check_png("rgb16.png", "rgb16.png")),
    ("png-rgba8", lambda: check_png("rgba8.png", "rgba8.png")),
    ("png-rgba16", lambda: check_png("rgba16.png", "rgba16.png")),
    ("png-palette8-to-rgb", lambda: check_png("palette8.png", "palette8.png")),
    ("png-palette4-to-rgb", lambda: check_png("palette4.png", "palette4.png")),
    ("png-16-bit-pnm-input", lambda: check_png("p6-16.ppm", "p6-16.png")),
    # PNG, depth conversion.
    ("png-depth8-from-rgb16", lambda: check_png("rgb16.png", "rgb16-d8.png", "--depth", "8", depth=8, scale="16to8")),
    ("png-depth8-from-rgba16", lambda: check_png("rgba16.png", "rgba16-d8.png", "--depth", "8", depth=8,
                                                 scale="16to8")),
    ("png-depth8-from-grey16", lambda: check_png("grey16.png", "grey16-d8.png", "--depth", "8", depth=8,
                                                 scale="16to8")),
    ("png-depth16-from-rgb8", lambda: check_png("rgb8.png", "rgb8-d16.png", "--depth", "16", depth=16,
                                                scale="8to16")),
    ("png-depth16-from-grey8", lambda: check_png("grey8.png", "grey8-d16.png", "--depth", "16", depth=16,
                                                 scale="8to16")),
    # PNM.
    ("pgm8", lambda: check_pnm("grey8.png", "grey8.pgm")),
    ("pgm16", lambda: check_pnm("grey16.png", "grey16.pgm")),
    ("ppm8", lambda: check_pnm("rgb8.png", "rgb8.ppm")),
    ("ppm16", lambda: check_pnm("rgb16.png", "rgb16.ppm")),
    ("pgm8-alpha-dropped", lambda: check_pnm("greyalpha8.png", "greyalpha8.pgm")),
    ("pgm16-alpha-dropped", lambda: check_pnm("greyalpha16.png", "greyalpha16.pgm")),
    ("ppm8-alpha-dropped", lambda: check_pnm("rgba8.png", "rgba8.ppm")),
    ("ppm16-alpha-dropped", lambda: check_pnm("rgba16.png", "rgba16.ppm")),
    # JPEG (lossy).
    ("jpeg-rgb", lambda: check_jpeg("rgb-q90.jpg", "rgb.jpg")),
    ("jpeg-grey", lambda: check_jpeg("grey-q90.jpg", "grey.jpg")),
    ("jpeg-rgba-alpha-dropped", lambda: check_jpeg("rgba-smooth.png", "rgba.jpg")),
    # NPY and text.
    ("npy-grey8", lambda: check_npy("grey8.png", "grey8.npy")),
    ("npy-rgb8", lambda: check_npy("rgb8.png", "rgb8.npy")),
    ("npy-rgb16", lambda: check_npy("rgb16.png", "rgb16.npy")),
    ("txt-grey8", lambda: check_txt("grey8.png", "grey8.txt")),
    ("txt-rgb8", lambda: check_txt("rgb8.png", "rgb8.txt")),
    ("txt-grey16", lambda: check_txt("grey16.png", "grey16.txt")),
    # Atomic writes (keep these last).
    ("atomic-failed-write-cleans-up", check_failed_write_leaves_nothing),
    ("atomic-no-temp-files", check_no_temp_files),
]


def main():
    global MANIFEST, BINARY, OUTDIR
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help")):
        print(__doc__.strip().split("\n\n")[1])
        return 0 if len(sys.argv) == 2 else 1
    BINARY = Path(sys.argv[1]).resolve() if len(sys.argv) == 2 else ROOT / ".build/debug/cnnfilter"
    if not (BINARY.is_file() and os.access(BINARY, os.X_OK)):
        print("check-written.py: no executable cnnfilter at %s (build it, or pass its path)" % BINARY)
        return 1
    MANIFEST = load_manifest()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="check-written-") as tmp:
        OUTDIR = Path(tmp) / "out"
        OUTDIR.mkdir()
        make_rgba_input()
        for name, fn in CHECKS:
            try:
                fn()
            except Fail as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
            except Exception as e:  # a reader choking on the file is a failure too
                failed += 1
                print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            else:
                passed += 1
                print("ok %s" % name)
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
