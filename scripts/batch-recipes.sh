#!/usr/bin/env bash
# Runs the recipes of docs/batch.md on generated photos and checks each against one
# plain run over the same list: GNU parallel, the Slurm job scripts (their tasks run by
# hand, with the variables Slurm would set), Python's subprocess, and a run killed
# with SIGKILL and resumed; for the filter (the same files, byte for byte), then for
# predict (the same answers: every photo once, the same classes, probabilities within 2e-6).
#   scripts/batch-recipes.sh [CNNFILTER] [COUNT]     (default .build/release/cnnfilter, 200 photos)
# MODEL (default models/lenet5-fashion.onnx) is the classifier predict runs.
# Needs GNU parallel (Debian: parallel), numpy and Pillow.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/.build/release/cnnfilter}")
count=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/scripts/make-batch-photos.py" "$work/photos" --count "$count" --sizes ${SIZES:-160x120,320x240,640x480}
cd "$work/photos"
same() { diff -r "$work/one" "$1" >/dev/null && echo "ok: $2: the same files, byte for byte" \
         || { echo "FAILED: $2 differs from one plain run"; exit 1; }; }

mkdir -p ../one
/usr/bin/time -f "one process: %e s" "$bin" --files-from list.txt --kernel gaussian:sigma=2 -o ../one/ --keep-tree

echo "--- GNU parallel, 4 shards"
mkdir -p ../parallel
/usr/bin/time -f "parallel, 4 processes: %e s" \
    parallel "$bin" --files-from list.txt --shard {}/4 --kernel gaussian:sigma=2 -o ../parallel/ --keep-tree ::: 1 2 3 4
same ../parallel "GNU parallel"

echo "--- the Slurm job script, its 4 tasks run as Slurm would (SLURM_ARRAY_TASK_*)"
for id in 0 1 2 3; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 CNNFILTER="$bin" \
        bash "$repo/scripts/slurm-filter-array.sh" "$work/photos" list.txt "$work/slurm" &
done
wait
same ../slurm "Slurm job script"

echo "--- Python subprocess, 2 shards"
python3 "$repo/scripts/batch-from-python.py" "$bin" . ../python 2 gaussian:sigma=2
# The Python recipe finds the files itself; it must have written the same set.
same ../python "Python subprocess"

echo "--- killed with SIGKILL after 1 s, then resumed"
mkdir -p ../resumed
"$bin" --files-from list.txt --kernel gaussian:sigma=2 -o ../resumed/ --keep-tree 2>/dev/null &
pid=$!
sleep 1
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
outputs=$(find ../resumed -type f -not -name '.*' | wc -l)
echo "at the kill: $outputs outputs, $(find ../resumed -name '.*' | wc -l) temporary"
"$bin" --files-from list.txt --kernel gaussian:sigma=2 -o ../resumed/ --keep-tree --skip-existing
same ../resumed "killed and resumed"

# predict: JSON Lines answers, compared by path with one plain run's.
model=${MODEL:-$repo/models/lenet5-fashion.onnx}
same_answers() { python3 "$repo/scripts/same-answers.py" "$@"; }  # REFERENCE WHAT PART...
echo "--- predict: one process"
/usr/bin/time -f "one process: %e s" "$bin" predict "$model" --files-from list.txt --json -o ../answers.jsonl

echo "--- predict: GNU parallel, 4 shards, one thread each"
parallel "$bin" predict "$model" --files-from list.txt --shard {}/4 --threads 1 --json -o ../part-{}.jsonl \
    ::: 1 2 3 4
same_answers ../answers.jsonl "GNU parallel" ../part-*.jsonl

echo "--- predict: the Slurm job script, its 4 tasks run as Slurm would (SLURM_ARRAY_TASK_*)"
for id in 0 1 2 3; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 SLURM_CPUS_PER_TASK=1 \
        CNNFILTER="$bin" PREDICT_OPTIONS="" \
        bash "$repo/scripts/slurm-predict-array.sh" "$work/photos" list.txt "$model" "$work/answers" &
done
wait
same_answers ../answers.jsonl "Slurm job script" "$work"/answers/part-*.jsonl

echo "--- predict from Python, reading --json"
python3 "$repo/scripts/predict-from-python.py" "$bin" "$model" . > ../python.tsv
python3 - ../answers.jsonl ../python.tsv <<'PY'
import json, sys
want = {a["path"]: a["top"][0] for a in map(json.loads, open(sys.argv[1]))}
got = dict(line.rstrip("\n").split("\t")[:2] for line in open(sys.argv[2]))
bad = [p for p, top in want.items() if got.get(p) != (top["name"] or str(top["class"]))]
sys.exit(f"FAILED: Python subprocess: {len(bad)} photos differ") if bad or len(got) != len(want) else \
    print(f"ok: Python subprocess: the same top class for {len(want)} photos")
PY

echo "--- predict killed with SIGKILL half-way, then resumed"
# CNNFILTER_STOP_AFTER makes cnnfilter stop itself (SIGSTOP) once that many photos are answered,
# so that the SIGKILL lands half-way however fast the build is.
CNNFILTER_STOP_AFTER=$((count / 2)) "$bin" predict "$model" --files-from list.txt --json --batch-size 4 \
    -o ../resumed.jsonl 2>/dev/null &
pid=$!
while [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != T ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
echo "at the kill: $(wc -l < ../resumed.jsonl) answers"
"$bin" predict "$model" --files-from list.txt --json -o ../resumed.jsonl --skip-existing
same_answers ../answers.jsonl "killed and resumed" ../resumed.jsonl
