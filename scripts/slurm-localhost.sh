#!/usr/bin/env bash
# Submits the Slurm job arrays of docs/batch.md to a real one-node Slurm on this machine and checks
# what they wrote against one plain run over the same list: the filter's files byte for byte, the
# predict answers with scripts/same-answers.py.
#   sudo scripts/slurm-localhost.sh [CNNFILTER] [COUNT]   (default .build/release/cnnfilter, 120 photos)
# Installs slurmctld, slurmd, slurm-client and munge from Debian if they are missing (needs root),
# then runs munged, slurmctld and slurmd from a temporary directory with their own configuration,
# socket and ports (none of /etc/slurm or the system's munged is used), and stops them at exit.
# No cgroups (proctrack/linuxproc, task/none), so it also runs in a container. Not in make test.
# MODEL (default models/lenet5-fashion.onnx) is the classifier the predict array runs.
# Needs numpy and Pillow (scripts/make-batch-photos.py).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/.build/release/cnnfilter}")
count=${2:-120}
model=$(realpath "${MODEL:-$repo/models/lenet5-fashion.onnx}")
[ "$(id -u)" = 0 ] || { echo "slurm-localhost.sh: must run as root (it installs and starts Slurm)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
        || ! command -v munged >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
fi

work=$(mktemp -d /tmp/slurm-localhost.XXXXXX)
chmod 755 "$work"
pids=()
stop() {
    # The daemons this script started, by their process ids, the last started first; then their directory.
    local pid i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap stop EXIT
logs() { for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; }
fail() { echo "FAILED: $*" >&2; logs; exit 1; }

# munge: a key of its own and a socket in $work, so that a munged already running is left alone.
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --foreground --force --socket="$work/munge/socket" --key-file="$work/munge/munge.key" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/seed" --log-file="$work/munged.log" \
    >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
[ -S "$work/munge/socket" ] || fail "munged did not start"

# One node, localhost, with this machine's CPUs and memory as slurmd counts them.
hw=$(slurmd -C | head -1)
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
memory=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
mkdir -p "$work/spool" "$work/state"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=localhost
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
# In the foreground (-D), so that $! is the daemon; they log to $work/*.log as well as to stderr.
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 60); do
    state=$(sinfo --noheader --nodes=localhost --format=%T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || fail "the node is not idle after 30 s (sinfo: '${state:-no answer}')"
echo "$(sinfo --version): node localhost idle, $cpus CPUs, $memory MB"

python3 "$repo/scripts/make-batch-photos.py" "$work/photos" --count "$count" --sizes ${SIZES:-48x32,96x64,160x120}
cd "$work"
# The references: one plain run each, outside Slurm.
mkdir one
(cd photos && "$bin" --files-from list.txt --kernel gaussian:sigma=2 -o ../one/ --keep-tree 2>/dev/null)
(cd photos && "$bin" predict "$model" --files-from list.txt --json -o ../answers.jsonl 2>/dev/null)

# The job scripts as docs/batch.md submits them; --cpus-per-task overrides their 4, more than a small
# machine has. sbatch passes this environment (CNNFILTER, PREDICT_OPTIONS) to the tasks.
export CNNFILTER=$bin
echo "--- sbatch --array=1-4 --wait scripts/slurm-filter-array.sh"
sbatch --array=1-4 --wait --cpus-per-task=1 --chdir="$work" \
    "$repo/scripts/slurm-filter-array.sh" "$work/photos" list.txt "$work/slurm" || fail "the filter array failed"
cat "$work"/cnnfilter-*_*.log
files=$(find slurm -type f | wc -l)
[ "$files" = "$count" ] || fail "the Slurm filter array wrote $files files for $count photos"
diff -r one slurm >/dev/null && echo "ok: Slurm filter array: the same $files files as one plain run, byte for byte" \
    || fail "the Slurm filter array's files differ from one plain run's"

echo "--- sbatch --array=1-4 --wait scripts/slurm-predict-array.sh"
# The bundled LeNet-5 reads photos as they are, with no ImageNet preset and its own class names.
PREDICT_OPTIONS=${PREDICT_OPTIONS-} sbatch --array=1-4 --wait --cpus-per-task=1 --chdir="$work" \
    "$repo/scripts/slurm-predict-array.sh" "$work/photos" list.txt "$model" "$work/answers" \
    || fail "the predict array failed"
cat "$work"/cnnfilter-predict-*_*.log
python3 "$repo/scripts/same-answers.py" answers.jsonl "Slurm predict array" answers/part-*.jsonl \
    || fail "the Slurm predict array's answers differ from one plain run's"
queued=$(squeue --noheader | wc -l)
[ "$queued" = 0 ] || fail "$queued jobs still queued"
echo "ok: both arrays finished, 8 tasks, none left in the queue"
