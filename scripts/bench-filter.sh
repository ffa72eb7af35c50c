#!/usr/bin/env bash
# End-to-end filter benchmark against libvips, on a 4000x3000 RGB photo.
#
#   scripts/bench-filter.sh [WORKDIR]
#
# Makes big.png and big.jpg (images/astronaut.png upscaled to 4000x3000 with
# mild noise, so PNG compression works as hard as on a real photo), then times
# the Laplacian PNG -> PNG and JPEG -> JPEG with hyperfine (median of 7 runs
# after a warm-up) and measures peak resident memory with /usr/bin/time.
# Baseline in the same run: `vips conv ... --precision integer`, as the issue
# asks, and `--precision float` (see the note printed at the end).
# Needs: hyperfine and libvips-tools (Debian), python3 with numpy and Pillow
# (PyPI), installed here if missing. None of them is a runtime dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=${1:-/tmp/cnnfilter-bench}
mkdir -p "$work"
bin="$repo/.build/release/cnnfilter"
[ -x "$bin" ] || make build >/dev/null

need=""
command -v hyperfine >/dev/null || need="$need hyperfine"
command -v vips >/dev/null || need="$need libvips-tools"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then apt-get update -qq && apt-get install -y -qq $need >/dev/null; fi
python3 -c "import numpy, PIL" 2>/dev/null || pip install -q numpy pillow

cd "$work"
if [ ! -f big.png ] || [ ! -f big.jpg ]; then
python3 - "$repo/images/astronaut.png" <<'PY'
import sys
import numpy as np
from PIL import Image
im = np.asarray(Image.open(sys.argv[1]).convert("RGB").resize((4000, 3000), Image.BICUBIC)).astype(np.int16)
rng = np.random.default_rng(1)
im = np.clip(im + rng.integers(-6, 7, im.shape), 0, 255).astype(np.uint8)
Image.fromarray(im).save("big.png")
Image.fromarray(im).save("big.jpg", quality=90)
PY
fi
printf '3 3 1 0\n-1 -1 -1\n-1 8 -1\n-1 -1 -1\n' > lap.mat

median() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['results'][0]['median']*1000))" "$1"; }
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u +%Y-%m-%d), cnnfilter $($bin --version), $(vips --version)"
echo
printf '| job | tool | median ms | peak RSS MB |\n| --- | --- | ---: | ---: |\n'
for ext in png jpg; do
  for tool in cnnfilter vips-integer vips-float; do
    case $tool in
      cnnfilter) cmd="$bin big.$ext --kernel laplacian -o out-c.$ext" ;;
      vips-integer) cmd="vips conv big.$ext out-vi.$ext lap.mat --precision integer" ;;
      vips-float) cmd="vips conv big.$ext out-vf.$ext lap.mat --precision float" ;;
    esac
    hyperfine -N -w 1 -r 7 --export-json h.json "$cmd" >/dev/null 2>&1
    # shellcheck disable=SC2086
    rss=$(peak $cmd)
    printf '| laplacian %s -> %s | %s | %s | %s |\n' "$ext" "$ext" "$tool" "$(median h.json)" "$((rss / 1024))"
  done
done
python3 - <<'PY'
import numpy as np
from PIL import Image
c = np.asarray(Image.open("out-c.png")).astype(int)
vi = np.asarray(Image.open("out-vi.png")).astype(int)
vf = np.asarray(Image.open("out-vf.png")).astype(int)
print()
print(f"note: mean output value: cnnfilter {c.mean():.2f}, vips float {vf.mean():.2f}, vips integer {vi.mean():.2f};"
      f" cnnfilter vs vips float, interior max difference {np.abs(c - vf)[1:-1, 1:-1].max()} grey levels")
PY
