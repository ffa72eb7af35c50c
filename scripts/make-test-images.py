#!/usr/bin/env python3
"""Small synthetic test images for images/ (numpy + Pillow; rerun from the repo root).

- testcard.png: 256x192 RGB: grey ramp, colour bars, a checkerboard and a
  circle, so edges of every orientation and every grey level are present.
- step.png: 64x48 grey: a vertical step edge from 0.2 to 0.8 (sharpen must
  overshoot it, the Laplacian must show it as a thin double line).
- checker-alpha.png: 64x64 RGBA checkerboard whose alpha fades left to right,
  to see alpha carried through unfiltered.
- gradient16.png: 128x32 16-bit grey ramp, to see 16 bits kept.
"""
import numpy as np
from PIL import Image

h, w = 192, 256
card = np.zeros((h, w, 3), np.uint8)
card[:48] = np.linspace(0, 255, w).astype(np.uint8)[None, :, None]
bars = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
for i, c in enumerate(bars):
    card[48:96, i * 32:(i + 1) * 32] = c
yy, xx = np.mgrid[0:96, 0:w]
card[96:] = (((yy // 12) + (xx // 12)) % 2 * 255)[:, :, None].astype(np.uint8)
cy, cx = np.mgrid[0:h, 0:w]
circle = (cy - 144) ** 2 + (cx - 192) ** 2 < 40 ** 2
card[circle] = (200, 60, 40)
Image.fromarray(card).save("images/testcard.png")

step = np.full((48, 64), 0.2)
step[:, 32:] = 0.8
Image.fromarray(np.round(step * 255).astype(np.uint8)).save("images/step.png")

yy, xx = np.mgrid[0:64, 0:64]
rgb = (((yy // 8) + (xx // 8)) % 2 * 255).astype(np.uint8)
rgba = np.stack([rgb, rgb // 2, 255 - rgb, np.linspace(0, 255, 64).astype(np.uint8)[None, :].repeat(64, 0)], axis=2)
Image.fromarray(rgba, "RGBA").save("images/checker-alpha.png")

ramp = np.linspace(0, 65535, 128).astype(np.uint16)[None, :].repeat(32, 0)
Image.fromarray(ramp).save("images/gradient16.png")
print("wrote images/testcard.png images/step.png images/checker-alpha.png images/gradient16.png")
