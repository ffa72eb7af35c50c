#!/usr/bin/env bash
# cnnfilter against its peers, on the same convolution work; prints one
# markdown table (with ratios) under a header line naming the date, the
# machine and the tool versions. Progress goes to stderr, the table to stdout.
#
#   scripts/bench-peers.sh [--size WxH] [--work DIR] [--huge] [--keep]
#                          [--bin PATH] [--skip-memory] [--skip-files]
#
#   --size WxH     in-memory image size (default 4000x3000, x3 channels float32)
#   --work DIR     work directory (default /tmp/cnnfilter-peers); big.png,
#                  big.jpg, lap.mat and dense15.kernel are cached there
#   --huge         also filter a 20000x20000 RGB PNG made in the work directory
#                  (once, with /usr/bin/time: wall time and peak RSS)
#   --keep         keep outputs and the huge PNG (default: removed at exit)
#   --bin PATH     the cnnfilter binary (default .build/release/cnnfilter)
#
# 1. In memory: `cnnfilter bench --size WxH --kernel ... --json` (median ms and
#    the copy of the same bytes, per kernel) against OpenCV cv2.filter2D /
#    cv2.sepFilter2D on an HxWx3 float32 array (scripts/bench_peers_inmemory.py,
#    2 threads, also 1 thread for reference) and np.copyto. Kernels: laplacian
#    3x3, gaussian:sigma=3 (19x19, separable), unsharp-5 (dense 5x5) and a fixed
#    random dense 15x15 (DIR/dense15.kernel, full rank). Without the `bench`
#    subcommand the cnnfilter cells read n/a.
# 2. End to end, Laplacian PNG -> PNG and JPEG -> JPEG on a
#    4000x3000 photo: cnnfilter, vips conv (--precision integer and float),
#    ImageMagick convert -morphology Convolve, and OpenCV (imread, filter2D,
#    imwrite, timed inside Python so interpreter start-up is excluded).
#    Command-line tools: median wall time by hyperfine (a first run under
#    /usr/bin/time is the warm-up and gives the peak RSS; then 5 runs, or 3 for
#    jobs over 2 s). Outputs are compared with numpy (mean, interior max diff).
#    Output settings as cnnfilter's defaults where a flag exists: JPEG quality 90
#    (vips [Q=90], convert -quality 90, cv2 IMWRITE_JPEG_QUALITY 90), PNG zlib
#    level 6 (vips' and cnnfilter's default; cv2 IMWRITE_PNG_COMPRESSION 6);
#    convert writes PNG with its own default (level 7, adaptive filters).
#
# Installs what is missing: hyperfine, libvips-tools, imagemagick, time
# (Debian, one apt-get update first); opencv-python-headless, numpy, pillow
# (PyPI). The peers are for benchmarking only, never runtime dependencies.
# Whole run about 4-5 minutes on 2 cores (--huge adds about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
py="$repo/scripts/bench_peers_inmemory.py"

size=4000x3000 work=/tmp/cnnfilter-peers huge=0 keep=0 bin="$repo/.build/release/cnnfilter"
do_mem=1 do_files=1
die() { echo "bench-peers: $*" >&2; exit 1; }
say() { echo "bench-peers: $*" >&2; }
while [ $# -gt 0 ]; do
  case $1 in
    --size) [ $# -ge 2 ] || die "--size needs WxH"; size=$2; shift ;;
    --size=*) size=${1#*=} ;;
    --work) [ $# -ge 2 ] || die "--work needs a directory"; work=$2; shift ;;
    --work=*) work=${1#*=} ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a path"; bin=$2; shift ;;
    --bin=*) bin=${1#*=} ;;
    --huge) huge=1 ;;
    --keep) keep=1 ;;
    --skip-memory) do_mem=0 ;;
    --skip-files) do_files=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ $size =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "--size wants WxH, e.g. 4000x3000, not '$size'"
[[ $bin = /* ]] || bin="$repo/$bin"
if [ ! -x "$bin" ]; then
  [ "$bin" = "$repo/.build/release/cnnfilter" ] || die "no executable cnnfilter at $bin"
  say "no release build: running 'make build'"
  make build >/dev/null
fi

# ---------------------------------------------------------------- peers
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=""
command -v hyperfine >/dev/null || need="$need hyperfine"
command -v vips >/dev/null || need="$need libvips-tools"
# /usr/bin/convert, not whatever 'convert' is first on PATH (a wrapper would add its own start-up).
[ -x /usr/bin/convert ] || need="$need imagemagick"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
  say "installing (Debian):$need"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq $need >/dev/null
fi
if ! python3 -c "import cv2, numpy, PIL" 2>/dev/null; then
  say "installing (PyPI): opencv-python-headless numpy pillow"
  python3 -m pip install -q opencv-python-headless numpy pillow
fi
# A compiler on a 2-core machine spoils every number: before each measurement,
# wait for a running Swift build to end (at most 10 minutes over the whole run),
# and say in the notes if one ran anyway.
building() { pgrep -x swift-build >/dev/null || pgrep -x swift-frontend >/dev/null; }
waited=0 disturbed=""
wait_idle() {
  if building && [ "$waited" -lt 600 ]; then
    say "a Swift build is running; waiting for it to end before measuring $1"
    while building && [ "$waited" -lt 600 ]; do sleep 5; waited=$((waited + 5)); done
    sleep 3; waited=$((waited + 3))
  fi
  if building; then disturbed="$disturbed, $1"; say "warning: measuring $1 while a Swift build runs"; fi
  return 0
}

mkdir -p "$work"
work=$(cd "$work" && pwd)
results="$work/results.jsonl"
: > "$results"
cleanup() {
  [ "$keep" -eq 1 ] && return
  rm -f "$work"/out-*.png "$work"/out-*.jpg "$work"/huge.png "$work"/huge-out.png \
        "$work"/huge.png.tmp "$work"/huge-out.png.tmp "$work"/h.json "$work"/hf.err "$work"/cv.err \
        "$work"/bench.out "$work"/bench.err
}
trap cleanup EXIT

# ---------------------------------------------------------------- header
t_start=$(date +%s)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { [[ " ${flags#*:} " == *" $1 "* ]] && echo yes || echo no; }
avx512=$(grep -o -w 'avx512[a-z0-9_]*' <<<"$flags" | sort -u | tr '\n' ' ' | sed 's/ $//')
mem_gb=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)
cv_ver=$(python3 -c "import cv2, numpy; print(f'OpenCV {cv2.__version__} (Python), numpy {numpy.__version__}')")
im_ver=$(/usr/bin/convert -version | sed -n '1s/^Version: \(ImageMagick [^ ]* [^ ]*\).*/\1/p')
load=$(cut -d' ' -f1 /proc/loadavg)
bin_id() { printf '%s, built %s' "$(sha256sum "$bin" | cut -c1-12)" "$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC')"; }
bin_at_start=$(bin_id)
header="**$(date -u '+%Y-%m-%d %H:%M UTC')** — machine: $(nproc) cores, ${mem_gb} GB RAM, ${cpu}, AVX2 $(has avx2), AVX-512 $(has avx512f)${avx512:+ ($avx512)}, load ${load} at start — tools: cnnfilter $("$bin" --version) (${bin#"$repo"/}, sha256 ${bin_at_start}), ${cv_ver}, $(vips --version), ${im_ver}, $(hyperfine --version)"

json_ms() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median']*1000)" "$1"; }
quote() { local a out=""; for a in "$@"; do out="$out '${a//\'/\'\\\'\'}'"; done; printf '%s' "${out# }"; }

# ---------------------------------------------------------------- 1. in memory
if [ "$do_mem" -eq 1 ]; then
  kfile="$work/dense15.kernel"
  [ -f "$kfile" ] || python3 "$py" make-kernel "$kfile"
  wait_idle "cnnfilter bench"
  say "in memory, $size x3 float32: cnnfilter bench"
  set +e
  "$bin" bench --size "$size" --kernel laplacian --kernel gaussian:sigma=3 --kernel unsharp-5 \
    --kernel "$kfile" --json >"$work/bench.out" 2>"$work/bench.err"
  rc=$?
  set -e
  python3 - "$work/bench.out" "$work/bench.err" "$rc" >>"$results" <<'PY'
import json, sys
out, err, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = ["laplacian", "gaussian:sigma=3", "unsharp-5", "dense15"]
expect = [(3, 3), (19, 19), (5, 5), (15, 15)]
recs = []
for line in open(out, errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            recs.append(json.loads(line))
        except ValueError:
            pass
if rc != 0 or not recs:
    why = (open(err, errors="replace").read().strip().splitlines() or ["no output"])[0][:160]
    print(json.dumps({"part": "mem", "tool": "cnnfilter-error", "error": f"exit {rc}: {why}"}))
    sys.exit()
for i, r in enumerate(recs[:len(names)]):  # in the order given on the command line
    ms = r.get("ms", r.get("median_ms"))
    print(json.dumps({"part": "mem", "tool": "cnnfilter", "kernel": names[i], "spec": r.get("kernel"),
                      "kh": r.get("kh"), "kw": r.get("kw"), "ms": ms, "copy_ms": r.get("copy_ms"),
                      "separable": r.get("separable"), "cores": r.get("cores"),
                      "width": r.get("width"), "height": r.get("height"), "channels": r.get("channels")}))
if len(recs) != len(names):
    print(json.dumps({"part": "note", "text": f"cnnfilter bench printed {len(recs)} JSON lines for {len(names)} kernels"}))
PY
  if grep -q cnnfilter-error "$results"; then
    say "  n/a: $(head -1 "$work/bench.err" 2>/dev/null || true)"
  fi
  wait_idle "OpenCV in memory"
  say "in memory, $size x3 float32: OpenCV (2 threads, then 1) and np.copyto"
  python3 "$py" inmemory --size "$size" --dense15 "$kfile" --threads 2,1 \
    | python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line); r['part'] = 'mem'; print(json.dumps(r))" >>"$results"
fi

# ---------------------------------------------------------------- 2. files
if [ "$do_files" -eq 1 ]; then
  cd "$work"
  if [ ! -f big.png ] || [ ! -f big.jpg ]; then
    say "making big.png and big.jpg (4000x3000: astronaut.png upscaled, noise added)"
    python3 "$py" make-images "$repo/images/astronaut.png" "$work"
  fi
  printf '3 3 1 0\n-1 -1 -1\n-1 8 -1\n-1 -1 -1\n' > lap.mat
  lap='3x3: -1,-1,-1 -1,8,-1 -1,-1,-1'
  for ext in png jpg; do
    if [ $ext = jpg ]; then vq="[Q=90]" imq=(-quality 90); else vq="" imq=(); fi
    for tool in cnnfilter vips-integer vips-float imagemagick; do
      out="out-$tool.$ext"
      case $tool in
        cnnfilter) cmd=("$bin" "big.$ext" --kernel laplacian -o "$out") ;;
        vips-integer) cmd=(vips conv "big.$ext" "$out$vq" lap.mat --precision integer) ;;
        vips-float) cmd=(vips conv "big.$ext" "$out$vq" lap.mat --precision float) ;;
        imagemagick) cmd=(/usr/bin/convert "big.$ext" -define convolve:scale=1 -morphology Convolve "$lap" "${imq[@]}" "$out") ;;
      esac
      wait_idle "$tool $ext"
      say "$ext -> $ext: $tool"
      # The warm-up, under /usr/bin/time for the peak RSS; it also decides 5 or 3 timed runs.
      if ! tr=$(/usr/bin/time -f 'TIME %e %M' "${cmd[@]}" 2>&1 >/dev/null); then
        die "$tool failed: $(quote "${cmd[@]}"): $tr"
      fi
      read -r secs rss < <(grep '^TIME' <<<"$tr" | tail -1 | cut -d' ' -f2-)
      runs=5
      awk -v s="$secs" 'BEGIN { exit !(s > 2) }' && runs=3
      hyperfine -N -r "$runs" --export-json h.json "$(quote "${cmd[@]}")" >/dev/null 2>"$work/hf.err" \
        || die "hyperfine failed on $tool: $(tail -3 "$work/hf.err")"
      printf '{"part": "e2e", "ext": "%s", "tool": "%s", "ms": %s, "runs": %s, "rss_mb": %s}\n' \
        "$ext" "$tool" "$(json_ms h.json)" "$runs" "$((rss / 1024))" >>"$results"
    done
    wait_idle "opencv $ext"
    say "$ext -> $ext: opencv (timed in-process)"
    cvout=$(/usr/bin/time -f 'TIME %e %M' python3 "$py" e2e-opencv "big.$ext" "out-opencv.$ext" 2>"$work/cv.err") \
      || die "OpenCV end to end failed: $(tail -3 "$work/cv.err")"
    rss=$(grep '^TIME' "$work/cv.err" | tail -1 | cut -d' ' -f3)
    base=$(/usr/bin/time -f '%M' python3 "$py" imports 2>&1 >/dev/null | tail -1)
    python3 - "$ext" "$rss" "$base" "$cvout" >>"$results" <<'PY'
import json, sys
ext, rss, base, r = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
note = (f"timed inside Python, no interpreter start-up: imread {r['read_ms']:.0f} + filter2D CV_16S "
        f"and clip {r['filter_ms']:.0f} + imwrite {r['write_ms']:.0f} ms, {r['threads']} threads; "
        f"RSS includes {base / 1024:.0f} MB of python + cv2 + numpy")
if r.get("png_alternatives"):
    note += "; written with zlib level 6 + Z_RLE as cnnfilter; imwrite alone with " + ", with ".join(
        f"{a['label']}: {a['ms']} ms, {a['size_mb']} MB" for a in r["png_alternatives"])
print(json.dumps({"part": "e2e", "ext": ext, "tool": "opencv", "ms": r["ms"], "runs": r["runs"],
                  "rss_mb": rss / 1024, "note": note}))
PY
  done
  rm -f h.json hf.err cv.err
  python3 "$py" check "$work" >>"$results"

  if [ "$huge" -eq 1 ]; then
    make_s=null
    if [ ! -f huge.png ]; then
      say "making huge.png (20000x20000 RGB, written in row chunks)"
      t0=$(date +%s)
      python3 "$py" make-huge huge.png 20000 20000
      make_s=$(($(date +%s) - t0))
    fi
    wait_idle "cnnfilter huge"
    say "huge.png -> huge-out.png: cnnfilter, one run"
    tr=$(/usr/bin/time -f 'TIME %e %M' "$bin" huge.png --kernel laplacian -o huge-out.png 2>&1 >/dev/null) \
      || die "cnnfilter failed on huge.png: $tr"
    read -r secs rss < <(grep '^TIME' <<<"$tr" | tail -1 | cut -d' ' -f2-)
    printf '{"part": "huge", "width": 20000, "height": 20000, "ms": %s, "rss_mb": %s, "make_s": %s, "in_mb": %s, "out_mb": %s}\n' \
      "$(awk -v s="$secs" 'BEGIN { print s * 1000 }')" "$((rss / 1024))" "$make_s" \
      "$(($(stat -c %s huge.png) / 1000000))" "$(($(stat -c %s huge-out.png) / 1000000))" >>"$results"
  fi
  cd "$repo"
fi

t_end=$(date +%s)
if [ -n "$disturbed" ]; then
  printf '{"part": "note", "text": "WARNING: a Swift build was running while measuring %s: those numbers are not valid"}\n' \
    "${disturbed#, }" >>"$results"
fi
if [ "$(bin_id)" != "$bin_at_start" ]; then
  printf '{"part": "note", "text": "WARNING: %s was rebuilt during this run (now sha256 %s): rows mix two builds"}\n' \
    "${bin#"$repo"/}" "$(bin_id)" >>"$results"
fi
[ "$waited" -eq 0 ] || printf '{"part": "note", "text": "waited %s s for Swift builds to end"}\n' "$waited" >>"$results"
printf '{"part": "note", "text": "this run of scripts/bench-peers.sh took %s s"}\n' "$((t_end - t_start))" >>"$results"
python3 "$py" table "$results" "$header"
