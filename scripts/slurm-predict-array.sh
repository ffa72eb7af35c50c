#!/bin/bash
# A Slurm job array that classifies every photo of a list, one shard per task (docs/batch.md).
#   sbatch --array=1-16 scripts/slurm-predict-array.sh /data/photos list.txt resnet18.onnx /scratch/answers
# Task I answers shard I/N of the list into ANSWERS/part-I.jsonl (JSON Lines), on the cores Slurm
# gave it. Resubmitting the same array after a failure or a time-out reads each part back and adds
# only the photos still missing. PREDICT_OPTIONS: how photos become the model's input and its class
# names (default: --preset imagenet --labels imagenet, for torchvision's ImageNet models).
#SBATCH --job-name=cnnfilter-predict
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=cnnfilter-predict-%A_%a.log
set -euo pipefail
photos=$1 list=$2 model=$(realpath "$3") out=$4
cnnfilter=${CNNFILTER:-cnnfilter}
# Shards are numbered from 1; this works for --array=1-16 and --array=0-15 alike.
index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))
threads=()
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then threads=(--threads "$SLURM_CPUS_PER_TASK"); fi
mkdir -p "$out"
out=$(realpath "$out")
cd "$photos"
# shellcheck disable=SC2086 # PREDICT_OPTIONS is a list of options
exec "$cnnfilter" predict "$model" --files-from "$list" --shard "$index/$SLURM_ARRAY_TASK_COUNT" \
    ${PREDICT_OPTIONS---preset imagenet --labels imagenet} "${threads[@]}" \
    --json -o "$out/part-$index.jsonl" --skip-existing
