#!/bin/sh
# The browser test of the dump-activations report. Headless Chromium (Debian's chromium) opens three reports:
# the Fashion-MNIST LeNet-5 on the boot photo, a small network with a residual block (the gradient fixtures',
# class names from a labels file written here) and the six classic kernels on the cat. For each it checks
# that every image on the page and the PNG behind every tile load, that no script fails, that the class names
# and the top prediction (as `cnnfilter predict` gives it) are on the page, that a link such as #zoom=C1/3
# opens the channel, and that the six kernels are named; then it photographs the pages. `make test` runs it.
#   scripts/screenshot-report.sh [OUT_DIR]    (default out/report-check)
# writes OUT_DIR/lenet5/, residual/, six/ (the reports) and lenet5-top.png, lenet5-zoom.png, residual-top.png,
# six-top.png, six-page.png, explained.png (the screenshots, to look at). Needs chromium (apt-get install chromium).
set -eu
out=${1:-out/report-check}
bin=${CNNFILTER:-.build/debug/cnnfilter}
fail() { echo "screenshot-report.sh: $*" >&2; exit 1; }
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"
[ -x "$bin" ] || fail "$bin is missing (swift build)"
rm -rf "$out" && mkdir -p "$out"
abs=$(cd "$out" && pwd)
browser="chromium --headless --no-sandbox --hide-scrollbars --disable-gpu"

lenet=models/lenet5-fashion.onnx
residual=Tests/NeuralNetTests/Fixtures/gradients/residual/model.onnx
printf 'cat\ndog\nbird\nfish\nfrog\n' > "$out/residual-labels.txt"
"$bin" dump-activations $lenet images/fashion-boot.png -o "$out/lenet5" 2>/dev/null
"$bin" dump-activations $residual images/chelsea.png --labels "$out/residual-labels.txt" -o "$out/residual" 2>/dev/null
"$bin" dump-activations --kernel edge --kernel sobel-x --kernel laplacian --kernel gaussian:sigma=2 \
    --kernel sharpen --kernel emboss images/chelsea.png -o "$out/six" 2>/dev/null

# What the page holds once Chromium has loaded it (scripts/report-check.js), as JSON: REPORT [#HASH]
inspect() {
  cp scripts/report-check.js "$out/$1/.check.js"
  sed 's|<head>|<head><script src=".check.js"></script>|' "$out/$1/index.html" > "$out/$1/.check.html"
  $browser --dump-dom --virtual-time-budget=10000 "file://$abs/$1/.check.html${2:-}" 2>/dev/null \
    | sed -n 's|.*<pre id="report-check">\(.*\)</pre>.*|\1|p' > "$out/$1.json"
  rm -f "$out/$1/.check.js" "$out/$1/.check.html"
  [ -s "$out/$1.json" ] || fail "$1: Chromium gave no result"
}

# Checks the JSON of REPORT: nothing broken, then the Python expression EXPECT over d (the JSON), names (the
# class names expected, one per line in NAMES_FILE) and top (the expected top class).
check() {
  python3 - "$out/$1.json" "$2" "${3:-/dev/null}" "${4:-}" <<'EOF' || fail "$1: see above"
import html, json, sys
d = json.loads(html.unescape(open(sys.argv[1]).read()))
names = [n for n in open(sys.argv[3]).read().split("\n") if n]
top = sys.argv[4]
problems = [f"{k}: {d[k]}" for k in ("broken", "tileFailures", "errors") if d[k]]
if d["images"] == 0: problems.append("no images")
if not eval("(" + sys.argv[2] + ")"): problems.append(f"expected {sys.argv[2]}; the page has {d}")
if problems:
    print(sys.argv[1] + ":\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
}

# The model's class names and top class as `cnnfilter predict` prints them ("1   99.96%  class 9  Ankle boot").
"$bin" predict $lenet images/fashion-boot.png --top 10 | sed 's/^ *[0-9]* *[0-9.]*% *class [0-9]* *//' \
  > "$out/lenet5-names.txt"
top=$(head -n 1 "$out/lenet5-names.txt")
[ -n "$top" ] || fail "cnnfilter predict printed no class"

inspect lenet5
check lenet5 'd["prediction"].startswith("Prediction: " + top + " ") and set(names) <= set(d["classes"])
  and d["tiles"] > 0' "$out/lenet5-names.txt" "$top"
inspect lenet5 '#zoom=C1/3'
check lenet5 'd["zoom"].startswith("C1 · channel 3 · values")'
inspect residual
check residual 'd["prediction"].split(": ", 1)[1].rsplit(" ", 1)[0] in names and set(names) <= set(d["classes"])' \
  "$out/residual-labels.txt"
inspect six
check six '[k.split(" · ")[1] for k in d["kernels"]]
  == ["edge", "sobel-x", "laplacian", "gaussian:size=13,sigma=2.0", "sharpen", "emboss"]'

shot() {
  $browser --virtual-time-budget=5000 --screenshot="$abs/$1" --window-size="$2" "file://$abs/$3" >/dev/null 2>&1
}
shot lenet5-top.png 1100,900 lenet5/index.html
shot lenet5-zoom.png 1100,900 'lenet5/index.html#zoom=C1/3'
shot residual-top.png 1100,900 residual/index.html
shot six-top.png 1100,900 six/index.html
shot six-page.png 1100,2400 six/index.html
# The LeNet-5 report with the Grad-CAM of the top classes and the feature pictures of C1 and C3
# (docs/images/report-explain.png is its screenshot).
"$bin" dump-activations $lenet images/fashion-boot.png -o "$out/explained" --layers C1,C3 \
    --explain gradcam --visualize --visualize-steps 256 2>/dev/null
grep -q '<img src="explain/gradcam-class9.png"' "$out/explained/index.html" || fail "explained: no Grad-CAM on the page"
shot explained.png 1100,2120 explained/index.html
echo "screenshot-report.sh: the three reports load whole in Chromium; screenshots in $out/*.png"
