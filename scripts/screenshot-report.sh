#!/bin/sh
# Makes the dump-activations report of the Fashion-MNIST LeNet-5 on the boot
# photo and photographs it with headless Chromium, to look at it by eye (not
# part of `make test`). Needs chromium (apt-get install chromium).
# A second report adds the Grad-CAM of the top classes and the feature pictures of C1 and C3
# (--explain gradcam --visualize), photographed as OUT_DIR/explained.png (docs/images/report-explain.png).
#   scripts/screenshot-report.sh [OUT_DIR]   → OUT_DIR/report/index.html, OUT_DIR/top.png, OUT_DIR/zoom.png,
#                                              OUT_DIR/explained/index.html, OUT_DIR/explained.png
set -eu
out=${1:-out/report-check}
bin=${CNNFILTER:-.build/debug/cnnfilter}
command -v chromium >/dev/null || { echo "screenshot-report.sh: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
[ -x "$bin" ] || { echo "screenshot-report.sh: $bin is missing (swift build)" >&2; exit 1; }
mkdir -p "$out"
"$bin" dump-activations models/lenet5-fashion.onnx images/fashion-boot.png -o "$out/report" 2>/dev/null
page="file://$(cd "$out/report" && pwd)/index.html"
chromium --headless --no-sandbox --screenshot="$out/top.png" --window-size=1100,900 "$page" 2>/dev/null
chromium --headless --no-sandbox --screenshot="$out/zoom.png" --window-size=1100,900 "$page#zoom=C1/3" 2>/dev/null
grep -q 'Prediction: <b>Ankle boot</b>' "$out/report/index.html" || { echo "screenshot-report.sh: no prediction on the page" >&2; exit 1; }
"$bin" dump-activations models/lenet5-fashion.onnx images/fashion-boot.png -o "$out/explained" --layers C1,C3 \
    --explain gradcam --visualize --visualize-steps 256 2>/dev/null
page="file://$(cd "$out/explained" && pwd)/index.html"
chromium --headless --no-sandbox --screenshot="$out/explained.png" --window-size=1100,2120 "$page" 2>/dev/null
grep -q '<img src="explain/gradcam-class9.png"' "$out/explained/index.html" \
    || { echo "screenshot-report.sh: no Grad-CAM on the page" >&2; exit 1; }
echo "screenshot-report.sh: look at $out/top.png, $out/zoom.png and $out/explained.png"
