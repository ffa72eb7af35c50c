#!/bin/bash
# A Slurm job array that filters every photo of a list, one shard per task (docs/batch.md).
#   sbatch --array=1-16 scripts/slurm-filter-array.sh /data/photos list.txt /scratch/out
# The tasks share nothing but the list: task I filters shard I/N of it. Resubmitting
# the same array after a failure or a time-out does only the files still missing.
#SBATCH --job-name=cnnfilter
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=cnnfilter-%A_%a.log
set -euo pipefail
photos=$1 list=$2 out=$3
cnnfilter=${CNNFILTER:-cnnfilter}
# Shards are numbered from 1; this works for --array=1-16 and --array=0-15 alike.
shard=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))/$SLURM_ARRAY_TASK_COUNT
mkdir -p "$out"
cd "$photos"
exec "$cnnfilter" --files-from "$list" --shard "$shard" --skip-existing --keep-tree \
    --kernel gaussian:sigma=2 -o "$out/"
