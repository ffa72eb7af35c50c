#!/usr/bin/env python3
"""Reference pictures for `FeatureImage`, the parameterisation of cnnfilter's feature visualisation,
computed with numpy's FFT from lucid's recipe (not from cnnfilter's code):

  spectrum  channels x h x (w // 2 + 1) complex, stored as channels x [real plane, imaginary plane]
  scale     1 / max(sqrt(fx^2 + fy^2), 1 / max(h, w)), fy = numpy.fft.fftfreq(h), fx = rfftfreq(w)
  image     numpy.fft.irfft2(scale * spectrum, s=(h, w), norm="ortho") / 4   (per channel)
  colour    for 3 channels, each pixel's values times lucid's colour_correlation_svd_sqrt
            [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]] divided by its largest
            column norm (rgb = M . decorrelated)
  picture   sigmoid of that, channels x h x w in (0, 1)

Per case NAME in Tests/ExplainTests/Fixtures/feature-image/: NAME-parameters.npy (float32,
channels x 2 x h x (w // 2 + 1), standard normal, so that the imaginary parts numpy ignores, of the
constant column and for even w the Nyquist column, are not zero) and NAME-picture.npy (float32,
channels x h x w). numpy 2.4.6; deterministic (seeded).

    python3 scripts/make-feature-image-fixtures.py
"""

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/ExplainTests/Fixtures/feature-image"
CASES = [("grey-6x7", 1, 6, 7), ("colour-8x8", 3, 8, 8), ("colour-5x6", 3, 5, 6)]
ROOT_CORRELATION = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])


def picture(parameters, h, w):
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    scale = 1 / np.maximum(np.sqrt(fx ** 2 + fy ** 2), 1 / max(h, w))
    spectrum = scale * (parameters[:, 0].astype(np.float64) + 1j * parameters[:, 1].astype(np.float64))
    image = np.fft.irfft2(spectrum, s=(h, w), norm="ortho") / 4
    if image.shape[0] == 3:
        m = ROOT_CORRELATION / np.max(np.linalg.norm(ROOT_CORRELATION, axis=0))
        image = np.einsum("ij,jhw->ihw", m, image)
    return (1 / (1 + np.exp(-image))).astype(np.float32)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(16)
    for name, c, h, w in CASES:
        parameters = rng.standard_normal((c, 2, h, w // 2 + 1)).astype(np.float32)
        np.save(OUT / f"{name}-parameters.npy", parameters)
        np.save(OUT / f"{name}-picture.npy", picture(parameters, h, w))
        print(name, parameters.shape, "->", (c, h, w))


if __name__ == "__main__":
    main()
