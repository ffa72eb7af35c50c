#!/usr/bin/env bash
# Runs the recipes of docs/batch.md on generated photos and checks each against one
# plain run over the same list: GNU parallel, the Slurm job script (its tasks run by
# hand, with the variables Slurm would set), Python's subprocess, and a run killed
# with SIGKILL and resumed.
#   scripts/batch-recipes.sh [CNNFILTER] [COUNT]     (default .build/release/cnnfilter, 200 photos)
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
