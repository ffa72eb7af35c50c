#!/usr/bin/env python3
"""Make the test fixtures for cnnfilter: the independent reference.

Everything this script writes comes from tools that share no code with the
project (pypng, Pillow, numpy, scipy), so the Swift tests compare the project
against an outside opinion, not against itself.  Do not "fix" a fixture by
editing its files: change this script and rerun it.

Rerun from the repository root:

    python3 scripts/make-fixtures.py

Needs Python 3 with numpy, scipy, Pillow and pypng (`import png`), and
ImageMagick (`magick` or `convert` on PATH; Debian: apt-get install imagemagick)
for the one YCCK JPEG.  The output is deterministic (fixed seeds, no
timestamps) and small (under 1 MB in all).  The two output folders are deleted
and rebuilt on every run.

A. Tests/ImageCodecsTests/Fixtures/codecs/
   Small synthetic images (odd sizes, gradients plus noise so every value
   matters) encoded by an outside encoder, with the pixels that encoder's own
   decoder reads back:
   - PNG: written and read back by pypng (`png.Writer`, `png.Reader.asDirect`),
     cross-checked against Pillow wherever Pillow decodes at full precision;
   - JPEG: written and read back by Pillow (libjpeg-turbo), except
     ycck-q90.jpg: CMYK written by ImageMagick from raw CMYK samples (stdin,
     `cmyk:-`, -strip -quality 90), which libjpeg stores as YCCK (Adobe APP14
     transform byte 2, checked here); expected = Pillow's decoding
     .convert("RGB"), 3 channels, same formula as cmyk-q90.jpg;
   - PNM: P1/P2/P3 written by a few lines here, P4/P5/P6 8-bit by Pillow,
     16-bit P5/P6 by numpy (big-endian samples);
   - NPY: written by numpy.save.
   For each case NAME.EXT is the encoded file and NAME.raw the expected
   samples: interleaved, row-major, channels last; uint8, or uint16
   little-endian at depth 16; for NPY little-endian float32 in C order.
   manifest.json lists the cases (schema in `codec_entry` / `npy_entry`).

   Expected-pixel conventions (what the project's decoder produces): palette
   expanded to RGB (RGBA when the palette has tRNS); a tRNS colour key on grey
   or RGB becomes an alpha channel (0 where the pixel equals the key, the
   maximum elsewhere); grey of 1, 2 or 4 bits scaled to 8 bits as
   v * 255 // (2**d - 1); 16-bit stays 16-bit; PBM 1 (black) -> 0, 0 -> 255.

B. Tests/FilterPipelineTests/Fixtures/reference/
   Outputs of the shipped kernels (kernels/*.kernel, parsed here) on crops of
   images/chelsea.png and images/coffee.png, computed with
   scipy.ndimage.correlate in float64 on img / 255, plus a few border modes,
   parametric kernels, dilation and stride.  manifest.json lists them (schema
   in `ref_entry`).
"""

import io
import json
import math
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import png  # pypng
import scipy
import scipy.ndimage as ndi
from PIL import Image, ImageOps
import PIL

ROOT = Path(__file__).resolve().parent.parent
CODECS = ROOT / "Tests/ImageCodecsTests/Fixtures/codecs"
REFERENCE = ROOT / "Tests/FilterPipelineTests/Fixtures/reference"

SURPRISES = []  # printed at the end


def fresh(folder):
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# Synthetic images
# ---------------------------------------------------------------------------

def synth(h, w, c, maxv, seed, noise=0.12):
    """Gradients in different directions per channel plus uniform noise,
    clipped to 0...maxv, with 0 and maxv both present in channel 0."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / max(w - 1, 1), y / max(h - 1, 1)
    bases = [u, v, (u + v) / 2, 1 - u * v, 1 - u, 1 - v]
    out = np.empty((h, w, c), np.float64)
    for ch in range(c):
        out[..., ch] = bases[ch % len(bases)] + rng.uniform(-noise, noise, (h, w))
    out = np.clip(np.round(out * maxv), 0, maxv).astype(np.int64)
    out[0, 0, 0] = 0
    out[h - 1, w - 1, 0] = maxv
    return out


def smooth(h, w, c, seed):
    """A smooth-ish 8-bit image for JPEG: gradients plus mild noise."""
    return synth(h, w, c, 255, seed, noise=0.02).astype(np.uint8)


# ---------------------------------------------------------------------------
# A. Codecs
# ---------------------------------------------------------------------------

MANIFEST_A = []


def write_raw(name, arr, depth):
    if depth == 16:
        data = np.ascontiguousarray(arr, dtype="<u2").tobytes()
    elif depth == 8:
        assert arr.min() >= 0 and arr.max() <= 255
        data = np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
    else:
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
    (CODECS / name).write_bytes(data)


def codec_entry(file, arr, depth, note, **extra):
    """arr: expected samples, shape (H, W, C)."""
    h, w, c = arr.shape
    stem = file.rsplit(".", 1)[0]
    write_raw(stem + ".raw", arr, depth)
    entry = {"file": file, "raw": stem + ".raw", "width": w, "height": h,
             "channels": c, "depth": depth, "tolerance": 0}
    entry.update(extra)
    entry["note"] = note
    MANIFEST_A.append(entry)


# --- PNG (pypng) -----------------------------------------------------------

def pypng_write(path, arr, **kw):
    """arr: (H, W, planes) ints; kw go to png.Writer."""
    h, w, planes = arr.shape
    rows = [list(map(int, arr[y].reshape(-1))) for y in range(h)]
    with open(path, "wb") as f:
        png.Writer(w, h, **kw).write(f, rows)


def pypng_expected(path):
    """Read back with pypng's asDirect and convert to the project convention."""
    w, h, rows, info = png.Reader(filename=str(path)).asDirect()
    planes, bd = info["planes"], info["bitdepth"]
    arr = np.array([list(r) for r in rows], dtype=np.int64).reshape(h, w, planes)
    if bd < 8:
        # asDirect keeps sub-byte grey at its bit depth (palette and tRNS
        # cases come back at 8 bits already).
        assert info["greyscale"] and planes == 1, info
        arr = arr * 255 // (2 ** bd - 1)
        depth = 8
    else:
        depth = bd
    assert depth in (8, 16), info
    return arr, depth, info


def pillow_view(path):
    """What Pillow decodes, in the project convention where Pillow can; returns
    (array (H, W, C), exact) where exact=False means Pillow dropped to 8 bits."""
    im = Image.open(path)
    im.load()
    mode, trns = im.mode, im.info.get("transparency")
    if mode == "1":
        return np.asarray(im.convert("L"))[..., None].astype(np.int64), True
    if mode == "P":
        return np.asarray(im.convert("RGBA" if trns is not None else "RGB")).astype(np.int64), True
    if mode in ("I;16", "I;16B", "I"):
        a = np.asarray(im).astype(np.int64)[..., None]
        if trns is not None:
            a = np.concatenate([a, np.where(a == trns, 0, 65535)], axis=2)
        return a, True
    a = np.asarray(im).astype(np.int64)
    if a.ndim == 2:
        a = a[..., None]
    if trns is not None and mode in ("L", "RGB"):
        key = np.array(trns if isinstance(trns, tuple) else (trns,))
        alpha = np.where(np.all(a == key, axis=2), 0, 255)[..., None]
        a = np.concatenate([a, alpha], axis=2)
    return a, True


def png_case(name, arr, note, **kw):
    path = CODECS / (name + ".png")
    pypng_write(path, arr, **kw)
    exp, depth, info = pypng_expected(path)
    # Independent check of the conversion we just did.
    pil, _ = pillow_view(path)
    if depth == 8 or (depth == 16 and exp.shape[2] == 1):
        assert pil.shape == exp.shape and np.array_equal(pil, exp), (name, pil.shape, exp.shape)
        check = "Pillow %s decodes the same pixels" % PIL.__version__
    else:
        # Pillow reads 16-bit colour PNG at 8 bits (the high byte), and 16-bit
        # grey+alpha as 8-bit RGBA.
        if exp.shape[2] == 2 and pil.ndim == 3 and pil.shape[2] == 4:
            pil = pil[..., [0, 3]]
        if pil.shape == exp.shape and np.array_equal(pil, exp >> 8):
            check = "Pillow reads it at 8 bits only%s and agrees with the high bytes" % (
                " (as RGBA)" if exp.shape[2] == 2 else "")
        else:
            check = "Pillow cannot check it (it reads 8 bits only)"
            SURPRISES.append("%s: Pillow's 8-bit reading is not the high byte" % name)
    full = "PNG written by pypng %s; expected pixels from pypng asDirect(). %s. %s." % (
        png.__version__, note, check)
    codec_entry(name + ".png", exp, depth, full)
    return exp


def make_png():
    W, H = 13, 9
    # Grey at 1, 2, 4, 8, 16 bits.
    for i, bd in enumerate((1, 2, 4, 8, 16)):
        a = synth(H, W, 1, 2 ** bd - 1, 100 + i)
        png_case("grey%d" % bd, a, "Grey %d-bit%s" % (
            bd, ", scaled to 8 bits as v*255//(2**%d-1)" % bd if bd < 8 else ""),
            greyscale=True, bitdepth=bd)
    # Grey+alpha, RGB, RGBA at 8 and 16.
    for i, (nm, c, grey, alpha) in enumerate((("greyalpha", 2, True, True), ("rgb", 3, False, False),
                                              ("rgba", 4, False, True))):
        for bd in (8, 16):
            a = synth(H if c != 3 else 11, W if c != 3 else 17, c, 2 ** bd - 1, 110 + 2 * i + bd)
            png_case("%s%d" % (nm, bd), a, "%s %d-bit" % ({"greyalpha": "Grey+alpha", "rgb": "RGB",
                                                          "rgba": "RGBA"}[nm], bd),
                     greyscale=grey, alpha=alpha, bitdepth=bd)
    # Palettes at 1, 2, 4, 8 bits, no tRNS.
    for i, bd in enumerate((1, 2, 4, 8)):
        n = 2 ** bd if bd < 8 else 256
        rng = np.random.default_rng(200 + i)
        pal = [tuple(map(int, rng.integers(0, 256, 3))) for _ in range(n)]
        h, w = (11, 17) if bd == 8 else (H, W)
        idx = synth(h, w, 1, n - 1, 210 + i)
        png_case("palette%d" % bd, idx, "Palette %d-bit (%d entries), expanded to RGB" % (bd, n),
                 palette=pal, bitdepth=bd)
    # Palette 8-bit with tRNS: the first 40 entries carry alpha (0, partial,
    # 255); the tRNS chunk is shorter than PLTE, so later entries are opaque.
    rng = np.random.default_rng(220)
    pal = []
    for k in range(200):
        rgb = tuple(map(int, rng.integers(0, 256, 3)))
        if k < 40:
            alpha = [0, 255, 1, 128, 254][k] if k < 5 else int(rng.integers(0, 256))
            pal.append(rgb + (alpha,))
        else:
            pal.append(rgb)
    idx = synth(11, 17, 1, 199, 221)
    idx[0, :5, 0] = [0, 1, 2, 3, 4]  # make sure the special alphas are used
    idx[1, :3, 0] = [39, 40, 199]    # last tRNS entry, first opaque one, last entry
    png_case("palette8-trns", idx, "Palette 8-bit, 200 entries, tRNS of 40 entries (alpha 0, 1, 128, 254, 255, "
             "random); entries 40+ opaque; expanded to RGBA",
             palette=pal, bitdepth=8)
    # Grey 8-bit with tRNS key.
    a = synth(H, W, 1, 255, 230)
    key = 77
    a[2, 3:7, 0] = key
    a[5, 1, 0] = key
    a[6, 2, 0] = key + 1
    png_case("grey8-trns", a, "Grey 8-bit with tRNS key %d -> grey+alpha (alpha 0 where v==%d, else 255)" % (key, key),
             greyscale=True, bitdepth=8, transparent=key)
    # RGB 8-bit with tRNS key, with near misses that must stay opaque.
    a = synth(H, W, 3, 255, 231)
    key = (10, 200, 30)
    for (y, x) in ((1, 1), (1, 2), (4, 6), (8, 12), (0, 12)):
        a[y, x] = key
    a[3, 3] = (11, 200, 30)
    a[3, 4] = (10, 199, 30)
    a[3, 5] = (10, 200, 31)
    png_case("rgb8-trns", a, "RGB 8-bit with tRNS key %s -> RGBA (alpha 0 where all three match; near misses "
             "at row 3 stay opaque)" % (key,), greyscale=False, bitdepth=8, transparent=key)
    # Interlaced.
    a = synth(11, 17, 3, 255, 240)
    png_case("rgb8-adam7", a, "RGB 8-bit, Adam7 interlaced", greyscale=False, bitdepth=8, interlace=True)
    a = synth(11, 17, 1, 65535, 241)
    png_case("grey16-adam7", a, "Grey 16-bit, Adam7 interlaced", greyscale=True, bitdepth=16, interlace=True)
    rng = np.random.default_rng(242)
    pal = [tuple(map(int, rng.integers(0, 256, 3))) for _ in range(16)]
    idx = synth(11, 17, 1, 15, 243)
    png_case("palette4-adam7", idx, "Palette 4-bit (16 entries), Adam7 interlaced, expanded to RGB",
             palette=pal, bitdepth=4, interlace=True)
    # Extra: a tiny interlaced image where several Adam7 passes are empty.
    a = synth(2, 3, 3, 255, 244)
    png_case("rgb8-adam7-3x2", a, "Extra case: RGB 8-bit 3x2, Adam7 interlaced; passes 2, 4 and 6 are empty",
             greyscale=False, bitdepth=8, interlace=True)


# --- JPEG (Pillow) ---------------------------------------------------------

def jpeg_case(name, im, mode_out, note, orientation=None, **save):
    path = CODECS / (name + ".jpg")
    im.save(path, "JPEG", **save)
    back = Image.open(path)
    back.load()
    if orientation is not None:
        assert back.getexif().get(0x0112) == orientation
        back = ImageOps.exif_transpose(back)
    exp = np.asarray(back.convert(mode_out)).astype(np.int64)
    if exp.ndim == 2:
        exp = exp[..., None]
    extra = {"orientation": orientation} if orientation is not None else {}
    codec_entry(name + ".jpg", exp, 8,
                "JPEG written and read back by Pillow %s (libjpeg-turbo, %s); %s" % (
                    PIL.__version__, Image.core.jpeglib_version, note), **extra)
    return path, exp


def make_jpeg():
    rgb = Image.fromarray(smooth(24, 32, 3, 300), "RGB")
    jpeg_case("rgb-q90", rgb, "RGB", "baseline RGB 32x24, quality 90, Pillow's default 4:2:0 subsampling",
              quality=90)
    jpeg_case("rgb-progressive", Image.fromarray(smooth(24, 32, 3, 301), "RGB"), "RGB",
              "progressive RGB 32x24, quality 90, 4:2:0", quality=90, progressive=True)
    jpeg_case("grey-q90", Image.fromarray(smooth(24, 32, 1, 302)[..., 0], "L"), "L",
              "greyscale (mode L) 32x24, quality 90, one component", quality=90)
    cmyk_arr = smooth(24, 32, 4, 303)
    cmyk_arr[..., 3] //= 3  # keep K moderate so the colours stay visible
    path, exp = jpeg_case("cmyk-q90", Image.fromarray(cmyk_arr, "CMYK"), "RGB",
                          "CMYK 32x24, quality 90 (Adobe marker, inverted CMYK as Photoshop stores it); "
                          "expected = Pillow's decoded CMYK .convert('RGB'): R = (255-K) - round(C*(255-K)/255), "
                          "likewise G from M and B from Y; 3 channels", quality=90)
    # Check our reading of Pillow's CMYK -> RGB formula.
    c = np.asarray(Image.open(path)).astype(np.int64)
    nk = 255 - c[..., 3:4]
    mine = nk - (2 * c[..., :3] * nk + 255) // 510
    if not np.array_equal(mine, exp):
        SURPRISES.append("CMYK: Pillow's convert('RGB') is not nk - round(C*nk/255)")
    if not Image.open(path).info.get("adobe"):
        SURPRISES.append("CMYK JPEG has no Adobe marker")
    make_ycck()
    base = smooth(16, 24, 3, 304)
    for o in (6, 3):
        exif = Image.Exif()
        exif[0x0112] = o
        jpeg_case("rgb-orient%d" % o, Image.fromarray(base, "RGB"), "RGB",
                  "RGB 24x16 stored, EXIF Orientation %d; expected = ImageOps.exif_transpose(im).convert('RGB')%s"
                  % (o, " (so 16x24: width and height swap)" if o == 6 else " (rotated 180 degrees)"),
                  orientation=o, quality=90, exif=exif.tobytes())


def imagemagick():
    """The ImageMagick command (IM7 `magick`, else IM6 `convert`) and its version line."""
    for cmd in (["magick"], ["convert"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            out = subprocess.run(cmd + ["-version"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        if out.startswith("Version: ImageMagick"):
            return cmd, " ".join(out.split()[1:3])
    raise SystemExit("make-fixtures.py: ImageMagick is needed for ycck-q90.jpg but neither `magick` nor "
                     "`convert` runs here (Debian: apt-get install imagemagick); nothing usable was written")


def jpeg_markers(data):
    """(marker, payload) pairs of a JPEG up to and including SOS."""
    out, i = [], 2
    assert data[:2] == b"\xff\xd8"
    while i + 4 <= len(data):
        assert data[i] == 0xFF, i
        m, n = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        out.append((m, data[i + 4:i + 2 + n]))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def make_ycck():
    """A YCCK JPEG from an encoder other than Pillow: ImageMagick (through the
    system libjpeg) stores CMYK input as YCCK, libjpeg's default for CMYK."""
    h, w = 24, 32
    cmyk = smooth(h, w, 4, 309)
    cmyk[..., 3] //= 3  # keep K moderate, as for cmyk-q90
    cmd, version = imagemagick()
    data = subprocess.run(cmd + ["-size", "%dx%d" % (w, h), "-depth", "8", "cmyk:-", "-strip", "-quality", "90",
                                 "jpg:-"], input=cmyk.tobytes(), capture_output=True, check=True).stdout
    path = CODECS / "ycck-q90.jpg"
    path.write_bytes(data)
    markers = jpeg_markers(data)
    adobe = [p for m, p in markers if m == 0xEE and p.startswith(b"Adobe")]
    assert len(adobe) == 1 and len(adobe[0]) >= 12, "no Adobe APP14 marker"
    assert adobe[0][11] == 2, "Adobe transform byte is %d, not 2 (YCCK)" % adobe[0][11]
    sof = [p for m, p in markers if m in (0xC0, 0xC1, 0xC2)]
    assert len(sof) == 1 and sof[0][5] == 4, "not a four-component JPEG"
    sampling = ",".join("%dx%d" % (sof[0][7 + 3 * k] >> 4, sof[0][7 + 3 * k] & 15) for k in range(4))
    im = Image.open(path)
    im.load()
    assert im.mode == "CMYK" and im.size == (w, h) and im.info.get("adobe_transform") == 2, (im.mode, im.info)
    # Pillow undoes the Adobe inversion; its CMYK should be close to what we fed in.
    err = np.abs(np.asarray(im).astype(np.int64) - cmyk).mean()
    if err > 4:
        SURPRISES.append("YCCK: Pillow's CMYK differs from the input by %.1f on average" % err)
    exp = np.asarray(im.convert("RGB")).astype(np.int64)
    c = np.asarray(im).astype(np.int64)
    nk = 255 - c[..., 3:4]
    if not np.array_equal(nk - (2 * c[..., :3] * nk + 255) // 510, exp):
        SURPRISES.append("YCCK: Pillow's convert('RGB') is not nk - round(C*nk/255)")
    codec_entry("ycck-q90.jpg", exp, 8,
                "JPEG written by %s (through the system libjpeg) from raw CMYK 32x24 (`cmyk:-`, -strip -quality 90): "
                "Adobe APP14 transform 2 = YCCK, inverted CMYK as Photoshop stores it, sampling %s; "
                "read back by Pillow %s (libjpeg-turbo, %s); expected = Pillow's decoded CMYK .convert('RGB'): "
                "R = (255-K) - round(C*(255-K)/255), likewise G from M and B from Y; 3 channels" % (
                    version, sampling, PIL.__version__, Image.core.jpeglib_version))


# --- PNM -------------------------------------------------------------------

def ascii_body(values, per_line=12):
    vals = [str(int(v)) for v in values]
    return "".join(" ".join(vals[i:i + per_line]) + "\n" for i in range(0, len(vals), per_line))


def make_pnm():
    W, H = 13, 9
    # P1: 1 = black.
    bits = (synth(H, W, 1, 1, 300)[..., 0] == 0).astype(np.int64)  # 1 = black
    text = "P1\n# cnnfilter fixture: plain PBM, 1 is black\n%d %d\n" % (W, H)
    text += "".join(" ".join(str(b) for b in row) + "\n" for row in bits)
    (CODECS / "p1.pbm").write_text(text)
    codec_entry("p1.pbm", np.where(bits == 1, 0, 255)[..., None], 8,
                "P1 (plain PBM) written by make-fixtures.py, with a comment line after the magic; "
                "1 (black) -> 0, 0 (white) -> 255")
    # P2 maxval 255.
    a = synth(H, W, 1, 255, 301)
    text = "P2\n# cnnfilter fixture\n# two comment lines\n%d %d\n255\n" % (W, H) + ascii_body(a.reshape(-1))
    (CODECS / "p2.pgm").write_text(text)
    codec_entry("p2.pgm", a, 8, "P2 (plain PGM) maxval 255 written by make-fixtures.py, two comment lines, "
                "12 samples a line (rows do not match lines)")
    # P3 maxval 255.
    a = synth(H, W, 3, 255, 302)
    text = "P3\n%d %d\n# comment between size and maxval\n255\n" % (W, H) + ascii_body(a.reshape(-1), 15)
    (CODECS / "p3.ppm").write_text(text)
    codec_entry("p3.ppm", a, 8, "P3 (plain PPM) maxval 255 written by make-fixtures.py, a comment line "
                "between the size and the maxval")
    # P2 maxval 100.
    a = synth(H, W, 1, 100, 303)
    text = "P2\n%d %d\n100\n" % (W, H) + ascii_body(a.reshape(-1))
    (CODECS / "p2-max100.pgm").write_text(text)
    codec_entry("p2-max100.pgm", (a * 255 + 50) // 100, 8,
                "P2 maxval 100 written by make-fixtures.py; expected scaled to 8 bits as (v*255 + 50) // 100 "
                "(round half up)")
    # P4 via Pillow mode "1" (Pillow: 0 black, 255 white).
    grey = synth(H, W, 1, 255, 304)[..., 0].astype(np.uint8)
    im = Image.fromarray(np.where(grey >= 128, 255, 0).astype(np.uint8), "L").convert("1")
    im.save(CODECS / "p4.pbm")
    raw = (CODECS / "p4.pbm").read_bytes()
    assert raw.startswith(b"P4")
    back = np.asarray(Image.open(CODECS / "p4.pbm").convert("L")).astype(np.int64)
    # Our own reading of the packed bits (1 = black, rows padded to a byte).
    body = np.frombuffer(raw[-H * ((W + 7) // 8):], np.uint8).reshape(H, -1)
    mine = np.where(np.unpackbits(body, axis=1)[:, :W] == 1, 0, 255)
    assert np.array_equal(mine, back)
    codec_entry("p4.pbm", back[..., None], 8, "P4 (raw PBM) written by Pillow from a mode '1' image; expected = "
                "Pillow's decoding .convert('L') (agrees with unpacking the bits here: 1 black -> 0, 0 -> 255); "
                "width 13 so each row is padded to 2 bytes")
    # P5 / P6 8-bit via Pillow.
    a = synth(H, W, 1, 255, 305).astype(np.uint8)
    Image.fromarray(a[..., 0], "L").save(CODECS / "p5.pgm")
    back = np.asarray(Image.open(CODECS / "p5.pgm")).astype(np.int64)[..., None]
    assert np.array_equal(back, a)
    codec_entry("p5.pgm", back, 8, "P5 (raw PGM) 8-bit written and read back by Pillow")
    a = synth(H, W, 3, 255, 306).astype(np.uint8)
    Image.fromarray(a, "RGB").save(CODECS / "p6.ppm")
    back = np.asarray(Image.open(CODECS / "p6.ppm")).astype(np.int64)
    assert np.array_equal(back, a)
    codec_entry("p6.ppm", back, 8, "P6 (raw PPM) 8-bit written and read back by Pillow")
    # P5 / P6 16-bit via numpy.
    for magic, c, ext, seed in (("P5", 1, "pgm", 307), ("P6", 3, "ppm", 308)):
        a = synth(H, W, c, 65535, seed)
        name = "%s-16.%s" % (magic.lower(), ext)
        (CODECS / name).write_bytes(b"%s\n%d %d\n65535\n" % (magic.encode(), W, H) + a.astype(">u2").tobytes())
        check = ""
        try:
            pil = np.asarray(Image.open(CODECS / name)).astype(np.int64)
            if pil.ndim == 2:
                pil = pil[..., None]
            if pil.shape == a.shape and np.array_equal(pil, a):
                check = "; Pillow reads the same 16-bit values"
            else:
                check = "; Pillow reads it at 8 bits only, so it does not check this one"
        except Exception:
            check = "; Pillow cannot read it"
        codec_entry(name, a, 16, "%s 16-bit, maxval 65535, big-endian samples, written by numpy; expected = "
                    "the values written%s" % (magic, check))


# --- NPY -------------------------------------------------------------------

def npy_entry(name, arr, note):
    path = CODECS / name
    np.save(path, arr, allow_pickle=False)
    back = np.load(path)
    assert back.dtype == arr.dtype and np.array_equal(back, arr)
    expected = np.ascontiguousarray(back.astype("<f4"))
    stem = name.rsplit(".", 1)[0]
    write_raw(stem + ".raw", expected, 32)
    MANIFEST_A.append({"file": name, "raw": stem + ".raw", "depth": 32, "dtype": "float32",
                       "shape": list(arr.shape), "stored_dtype": arr.dtype.str,
                       "fortran_order": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
                       "tolerance": 0, "note": "numpy %s np.save; %s; .raw = the values as little-endian float32 "
                                               "in C order" % (np.__version__, note)})


def make_npy():
    rng = np.random.default_rng(400)
    a = rng.normal(0, 2, (5, 7)).astype(np.float32)
    a[0, 0], a[0, 1], a[0, 2] = 0.0, -1.5, 1e-3
    npy_entry("f32-2d.npy", a, "float32 2-D 5x7")
    npy_entry("f32-3d.npy", rng.normal(0, 1, (3, 4, 5)).astype(np.float32), "float32 3-D 3x4x5")
    npy_entry("f64-3d.npy", rng.normal(0, 1, (2, 3, 4)),
              "float64 3-D 2x3x4, expected rounded to nearest float32 (numpy astype)")
    f = np.asfortranarray(rng.normal(0, 1, (3, 4, 5)).astype(np.float32))
    npy_entry("f32-3d-fortran.npy", f, "float32 3-D 3x4x5 in Fortran order (header fortran_order: True); "
              "expected in C order of the logical array")
    npy_entry("f32be-2d.npy", rng.normal(0, 1, (4, 6)).astype(">f4"), "big-endian '>f4' 2-D 4x6")


# ---------------------------------------------------------------------------
# B. Reference kernel outputs
# ---------------------------------------------------------------------------

MANIFEST_B = []


def parse_number(text):
    text = text.strip()
    if "/" in text:
        n, d = text.split("/")
        return float(Fraction(n.strip()) / Fraction(d.strip()))
    return float(text)


def parse_kernel(path):
    name, scale, rows = path.stem, 1.0, []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z]+)\s*:\s*(.*)$", line)
        if m:
            key, value = m.group(1).lower(), m.group(2)
            if key == "name":
                name = value.strip()
            elif key == "scale":
                scale = parse_number(value)
            continue
        rows.append([parse_number(t) for t in line.split()])
    k = np.array(rows, np.float64) * scale
    assert k.ndim == 2 and k.size > 0, path
    return name, k


def correlate_planes(img, k, mode, cval=0.0):
    """img (H, W, C) float64 -> (C, H, W) float64."""
    return np.stack([ndi.correlate(img[..., c], k, mode=mode, cval=cval) for c in range(img.shape[2])])


def save_npy(name, arr):
    np.save(REFERENCE / name, np.ascontiguousarray(arr.astype(np.float32)), allow_pickle=False)


def save_png(name, planes):
    out = np.clip(np.round(planes * 255), 0, 255).astype(np.uint8)
    Image.fromarray(np.transpose(out, (1, 2, 0)), "RGB").save(REFERENCE / name)


def ref_entry(kernel, inp, png_name, npy_name, border, shape, note, **extra):
    e = {"kernel": kernel, "input": inp, "expected_png": png_name, "expected_npy": npy_name,
         "border": border, "tolerance_levels": 1, "shape": list(shape)}
    e.update(extra)
    e["note"] = note
    MANIFEST_B.append(e)


def make_reference():
    rgb = Image.open(ROOT / "images/chelsea.png").convert("RGB").crop((200, 100, 264, 148))
    rgb.save(REFERENCE / "input.png")
    grey = Image.open(ROOT / "images/coffee.png").convert("RGB").crop((300, 150, 340, 180)).convert("L")
    grey.save(REFERENCE / "input-gray.png")
    img = np.asarray(Image.open(REFERENCE / "input.png")).astype(np.float64) / 255.0
    g = np.asarray(Image.open(REFERENCE / "input-gray.png")).astype(np.float64)[..., None] / 255.0
    assert img.shape == (48, 64, 3) and g.shape == (30, 40, 1)
    kernels = {}
    for path in sorted((ROOT / "kernels").glob("*.kernel")):
        name, k = parse_kernel(path)
        kernels[name] = k
        out = correlate_planes(img, k, "mirror")
        save_npy(name + ".npy", out)
        save_png(name + ".png", out)
        ref_entry(name, "input.png", name + ".png", name + ".npy", "reflect", out.shape,
                  "kernels/%s, %dx%d; scipy.ndimage.correlate(img/255 float64, mode='mirror') per channel; "
                  "png = clip(round(out*255)) (numpy round: half to even)" % (path.name, *k.shape))
    # Sanity: identity is the input, box sums to 1.
    assert np.allclose(correlate_planes(img, kernels["identity"], "mirror"), np.transpose(img, (2, 0, 1)))
    lap = kernels["laplacian"]
    for border, mode in (("reflect", "mirror"), ("replicate", "nearest"), ("wrap", "wrap"), ("zero", "constant")):
        out = correlate_planes(g, lap, mode, 0.0)[0]
        nm = "laplacian-%s.npy" % border
        save_npy(nm, out)
        ref_entry("laplacian", "input-gray.png", None, nm, border, out.shape,
                  "scipy mode '%s'%s on the grey input; shape (H, W)%s" % (
                      mode, " cval 0" if mode == "constant" else "",
                      " (extra: the default border on the grey input)" if border == "reflect" else ""))
    # Parametric kernels.
    sigma = 2.0
    r = math.ceil(3 * sigma)
    x = np.arange(-r, r + 1, dtype=np.float64)
    g1 = np.exp(-x * x / (2 * sigma * sigma))
    g1 /= g1.sum()
    gk = np.outer(g1, g1)
    assert gk.shape == (13, 13)
    out = correlate_planes(img, gk, "mirror")
    save_npy("gaussian-sigma2.npy", out)
    ref_entry("gaussian:sigma=2", "input.png", None, "gaussian-sigma2.npy", "reflect", out.shape,
              "13x13 = 2*ceil(3*sigma)+1; outer product of exp(-x^2/(2 sigma^2)) normalised to sum 1; mode 'mirror' "
              "(for a 48-row input the 13-tap window reflects at most 6 pixels, within one period)")
    bk = np.full((5, 5), 1 / 25)
    out = correlate_planes(img, bk, "mirror")
    save_npy("box5.npy", out)
    ref_entry("box:5", "input.png", None, "box5.npy", "reflect", out.shape, "5x5 of 1/25; mode 'mirror'")
    # Dilation.
    sx = kernels["sobel-x"]
    dk = np.zeros((5, 5))
    dk[::2, ::2] = sx
    out = correlate_planes(g, dk, "mirror")[0]
    save_npy("sobel-x-dilation2.npy", out)
    ref_entry("sobel-x", "input-gray.png", None, "sobel-x-dilation2.npy", "reflect", out.shape,
              "dilation 2 = correlation with the 5x5 kernel that has zeros between the taps; mode 'mirror'; "
              "'same' output size, centred (pad 2 each side)", dilation=2)
    # Stride 2, two variants.
    full = correlate_planes(g, kernels["gaussian"], "mirror")[0]
    tf = full[1::2, 1::2]
    save_npy("gaussian-stride2-same.npy", tf)
    ref_entry("gaussian", "input-gray.png", None, "gaussian-stride2-same.npy", "reflect", tf.shape,
              "stride 2, padding 'same' by TensorFlow's rule (the project's samePadding): for even N=40 and 30, "
              "out = N/2 and total padding (out-1)*2+3-N = 1, all of it after, so output i reads input 2i..2i+2, "
              "centred on 2i+1: expected = full-resolution mirror correlation [1::2, 1::2]",
              stride=2, padding="same")
    sym = full[::2, ::2]
    save_npy("gaussian-stride2-pad1.npy", sym)
    ref_entry("gaussian", "input-gray.png", None, "gaussian-stride2-pad1.npy", "reflect", sym.shape,
              "stride 2 with 1 pixel of (mirror) padding on every side (PyTorch-style padding=(k-1)/2): "
              "output i centred on input 2i: expected = full-resolution mirror correlation [::2, ::2]; "
              "(40 + 2 - 3) / 2 is not whole, so this needs the floor rule, not an exact stride",
              stride=2, padding=1)


def main():
    fresh(CODECS)
    fresh(REFERENCE)
    make_png()
    make_jpeg()
    make_pnm()
    make_npy()
    write_json(CODECS / "manifest.json", MANIFEST_A)
    make_reference()
    write_json(REFERENCE / "manifest.json", MANIFEST_B)

    print("numpy %s, scipy %s, Pillow %s, pypng %s" % (np.__version__, scipy.__version__, PIL.__version__,
                                                      png.__version__))
    total = 0
    for folder in (CODECS, REFERENCE):
        files = sorted(folder.iterdir())
        size = sum(f.stat().st_size for f in files)
        total += size
        print("%s: %d files, %d bytes" % (folder.relative_to(ROOT), len(files), size))
        for f in files:
            print("  %-28s %7d" % (f.name, f.stat().st_size))
    print("total %d bytes; %d codec cases, %d reference cases" % (total, len(MANIFEST_A), len(MANIFEST_B)))
    for s in SURPRISES:
        print("SURPRISE:", s)


if __name__ == "__main__":
    main()
