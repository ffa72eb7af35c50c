#!/usr/bin/env bash
# Batch filtering throughput: cnnfilter over a list of photos against libvips
# (`vips conv`, one process per core by GNU parallel) and ImageMagick
# (`mogrify`, one process per core by GNU parallel), the same 3x3 kernel, the
# same photos, outputs in the same formats. Prints one markdown table (images
# per second and the ratio to cnnfilter) under a line naming the date, the
# machine and the tool versions; progress goes to stderr.
#
#   scripts/bench-batch-filter.sh [--count N] [--rounds R] [--work DIR] [--bin PATH] [--skip-mogrify]
#
#   --count N      photos made by scripts/make-batch-photos.py (default 2000; 320x240 to
#                  1920x1080, JPEG and PNG, cached in DIR/photos-N)
#   --rounds R     rounds, tools alternating within each (default 1); the table gives
#                  each tool's median
#   --work DIR     work directory (default /tmp/cnnfilter-batch-bench)
#   --bin PATH     the cnnfilter binary (default .build/release/cnnfilter)
#   --skip-mogrify leave ImageMagick out (it is the slowest by far)
#
# The kernel is sharpen (0 -1 0 / -1 5 -1 / 0 -1 0): its weights sum to 1, so
# libvips' integer precision, its fastest mode, is exact for it (for kernels
# with negative sums such as the Laplacian it clips to black). Outputs are JPEG
# quality 90 and PNG zlib level 6 for every tool where it has the flag
# (mogrify: -define png:compression-level=6). Each peer process gets one thread
# (VIPS_CONCURRENCY=1, MAGICK_THREAD_LIMIT=1) and GNU parallel runs one process
# per core; cnnfilter is one process on all cores. After each tool the output
# set is checked: every photo written, and a sample compared with numpy against
# cnnfilter's (mean and interior max difference; JPEG re-encoding differs).
#
# Installs what is missing: libvips-tools, imagemagick, parallel (Debian);
# numpy, pillow (PyPI). The peers are for benchmarking only.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
count=2000 rounds=1 work=/tmp/cnnfilter-batch-bench bin="$repo/.build/release/cnnfilter" mogrify=1
die() { echo "bench-batch-filter: $*" >&2; exit 1; }
say() { echo "bench-batch-filter: $*" >&2; }
while [ $# -gt 0 ]; do
  case $1 in
    --count) [ $# -ge 2 ] || die "--count needs a number"; count=$2; shift ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift ;;
    --work) [ $# -ge 2 ] || die "--work needs a directory"; work=$2; shift ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a path"; bin=$2; shift ;;
    --skip-mogrify) mogrify=0 ;;
    *) die "unknown option '$1'" ;;
  esac
  shift
done
[[ $count =~ ^[1-9][0-9]*$ ]] || die "--count must be a positive whole number, not '$count'"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive whole number, not '$rounds'"
[ -x "$bin" ] || die "$bin: no cnnfilter binary (make build)"

missing=()
command -v vips >/dev/null || missing+=(libvips-tools)
command -v mogrify >/dev/null || missing+=(imagemagick)
command -v parallel >/dev/null || missing+=(parallel)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c "import numpy, PIL" 2>/dev/null || python3 -m pip install -q numpy pillow

mkdir -p "$work"
photos="$work/photos-$count"
if [ ! -s "$photos/list.txt" ]; then
  say "making $count photos in $photos"
  rm -rf "$photos"
  python3 scripts/make-batch-photos.py "$photos" --count "$count" >&2
fi
printf '0 -1 0\n-1 5 -1\n0 -1 0\n' > "$work/sharpen.txt"
printf '3 3 1 0\n0 -1 0\n-1 5 -1\n0 -1 0\n' > "$work/sharpen.mat"   # vips matrix: width height scale offset
dirs=$(cd "$photos" && ls -d d[0-9]*)
cores=$(nproc)

run_tool() {  # tool outdir
  local tool=$1 out=$2
  rm -rf "$out" && mkdir -p "$out"
  cd "$photos"
  case $tool in
    cnnfilter)
      "$bin" --files-from list.txt --kernel sharpen -o "$out/" --keep-tree --quality 90 --png-level 6 \
        2>"$work/cnnfilter.log" ;;
    vips)
      # shellcheck disable=SC2016
      VIPS_CONCURRENCY=1 parallel -j "$cores" --halt now,fail=1 \
        'mkdir -p '"$out"'/{//}; case {} in *.jpg) o="[Q=90]";; *) o="[compression=6]";; esac;
         vips conv {} '"$out"'/{}"$o" '"$work"'/sharpen.mat --precision integer' :::: list.txt ;;
    mogrify)
      MAGICK_THREAD_LIMIT=1 parallel -j "$cores" --halt now,fail=1 \
        'mkdir -p '"$out"'/{} && mogrify -path '"$out"'/{} -define convolve:scale=1 \
         -morphology Convolve "3x3: 0,-1,0 -1,5,-1 0,-1,0" -quality 90 \
         -define png:compression-level=6 {}/*' ::: $dirs ;;
  esac
  cd "$repo"
}

check_outputs() {  # tool outdir reference-outdir
  python3 - "$photos/list.txt" "$2" "$3" "$1" <<'EOF'
import os, sys
import numpy as np
from PIL import Image
listing, out, ref, tool = sys.argv[1:]
names = [l.strip() for l in open(listing) if l.strip()]
missing = [n for n in names if not os.path.isfile(os.path.join(out, n))]
if missing:
    sys.exit(f"bench-batch-filter: {tool} left {len(missing)} of {len(names)} photos unwritten, e.g. {missing[0]}")
if out == ref:
    print(f"all {len(names)} written"); sys.exit()
means, maxes = [], {"jpg": 0, "png": 0}
for n in names[:: max(1, len(names) // 40)]:
    a = np.asarray(Image.open(os.path.join(out, n)).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(os.path.join(ref, n)).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        sys.exit(f"bench-batch-filter: {tool}: {n} is {a.shape}, cnnfilter's is {b.shape}")
    d = np.abs(a - b)[1:-1, 1:-1]
    means.append(d.mean())
    ext = n.rsplit(".", 1)[1]
    maxes[ext] = max(maxes[ext], int(d.max()))
print(f"all {len(names)} written; against cnnfilter: mean diff {np.mean(means):.2f}, "
      f"interior max diff {maxes['png']} (PNG), {maxes['jpg']} (JPEG)")
EOF
}

tools=(cnnfilter vips)
[ $mogrify = 1 ] && tools+=(mogrify)
declare -A secs checks
for r in $(seq 1 "$rounds"); do
  for tool in "${tools[@]}"; do
    say "round $r/$rounds: $tool over $count photos"
    t0=$(date +%s.%N)
    run_tool "$tool" "$work/out-$tool"
    t1=$(date +%s.%N)
    secs[$tool]="${secs[$tool]:-} $(awk "BEGIN {print $t1 - $t0}")"
    checks[$tool]=$(check_outputs "$tool" "$work/out-$tool" "$work/out-cnnfilter")
    say "$tool: $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s; ${checks[$tool]}"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
flags=$(grep -m1 '^flags' /proc/cpuinfo)
simd=$(case $flags in *avx512f*) echo AVX-512 ;; *avx2*) echo "AVX2, no AVX-512" ;; *) echo "no AVX2" ;; esac)
echo "**$(date -u '+%Y-%m-%d %H:%M UTC')** — machine: $cores cores, $cpu ($simd)," \
  "load $(cut -d' ' -f1 /proc/loadavg) at the end — $count photos ($(du -sh "$photos" | cut -f1))," \
  "$rounds round(s) — tools: cnnfilter $("$bin" --version), $(vips --version)," \
  "$(mogrify -version | head -n 1 | sed 's/Version: //; s/ https.*//')," \
  "GNU parallel $(parallel --version | head -n 1 | awk '{print $3}')"
echo
echo "| tool | command | seconds | images/s | cnnfilter's speed-up | outputs |"
echo "|---|---|---:|---:|---:|---|"
base=$(echo "${secs[cnnfilter]}" | median)
for tool in "${tools[@]}"; do
  s=$(echo "${secs[$tool]}" | median)
  case $tool in
    cnnfilter) cmd='`cnnfilter --files-from list.txt --kernel sharpen -o out/ --keep-tree`' ;;
    vips) cmd="\`parallel -j $cores vips conv {} out/{} sharpen.mat --precision integer\`" ;;
    mogrify) cmd="\`parallel -j $cores mogrify -path out/{} -morphology Convolve ... {}/*\`" ;;
  esac
  printf '| %s | %s | %.1f | %.1f | %.2f× | %s |\n' "$tool" "$cmd" "$s" "$(awk "BEGIN {print $count / $s}")" \
    "$(awk "BEGIN {print $s / $base}")" "${checks[$tool]}"
done
