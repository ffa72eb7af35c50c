#!/usr/bin/env bash
# Submits the Slurm job arrays of docs/batch.md to a real one-node Slurm on this machine and checks
# what they wrote against one plain run over the same list: the filter's files byte for byte, the
# predict answers with scripts/same-answers.py.
#   sudo scripts/slurm-localhost.sh [CNNFILTER] [COUNT]   (default .build/release/cnnfilter, 120 photos)
# Installs slurmctld, slurmd, slurm-client and munge from Debian if they are missing (needs root),
# then runs munged, slurmctld and slurmd from a temporary directory with their own configuration,
# socket and ports (none of /etc/slurm or the system's munged is used), and stops them at exit.
# No cgroups (proctrack/linuxproc, task/none), so it also runs in a container. Not in make test.
# SLURM_LOGS=DIR keeps the daemons' logs and the tasks' output there.
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
    if [ -n "${SLURM_LOGS:-}" ]; then mkdir -p "$SLURM_LOGS" && cp "$work"/*.log "$SLURM_LOGS"/; fi
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
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/seed" 2>"$work/munged.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
[ -S "$work/munge/socket" ] || fail "munged did not start"

# One node, localhost, with this machine's CPUs (sockets, cores, threads) and memory as slurmd counts them.
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
MailProg=/bin/true
ReturnToService=2
$(sed 's/^NodeName=[^ ]*/NodeName=localhost NodeAddr=127.0.0.1/' <<<"$hw") State=UNKNOWN
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

cd "$work"
python3 "$repo/scripts/make-batch-photos.py" photos --count "$count" --sizes "${SIZES:-48x32,96x64,160x120}"
# The references: one plain run each, outside Slurm.
mkdir one
(cd photos && "$bin" --files-from list.txt --kernel gaussian:sigma=2 -o ../one/ --keep-tree 2>/dev/null)
(cd photos && "$bin" predict "$model" --files-from list.txt --json -o ../answers.jsonl 2>/dev/null)

# The job scripts as docs/batch.md submits them; --cpus-per-task overrides their 4, more than a small
# machine has. sbatch passes this environment (CNNFILTER, PREDICT_OPTIONS) to the tasks.
export CNNFILTER=$bin
# The bundled LeNet-5 reads photos as they are, with no ImageNet preset, and has its own class names.
export PREDICT_OPTIONS=${PREDICT_OPTIONS-}
submit() {  # LOG_PREFIX SCRIPT ARGUMENT...: the array's 4 tasks, waited for; prints their logs
    local prefix=$1 job states
    shift
    echo "--- sbatch --array=1-4 --wait scripts/$(basename "$1")"
    job=$(sbatch --parsable --array=1-4 --wait --cpus-per-task=1 --chdir="$work" "$@") \
        || fail "$(basename "$1"): sbatch or a task failed (job ${job:-not submitted})"
    cat "$work/$prefix-${job}"_*.log
    # Every task COMPLETED with exit code 0:0, as slurmctld recorded it.
    states=$(scontrol --oneliner show job "$job" | grep -o -e 'JobState=[A-Z_]*' -e 'ExitCode=[0-9:]*' \
        | paste -d ' ' - - | sort | uniq -c | sed 's/^ *//')
    [ "$states" = "4 JobState=COMPLETED ExitCode=0:0" ] || fail "job $job: tasks ended $states"
    echo "ok: job $job: $states"
}
same_files() {  # WHAT
    local files
    files=$(find slurm -type f | wc -l)
    [ "$files" = "$count" ] || fail "$1: $files files for $count photos"
    diff -r one slurm >/dev/null || fail "$1: the files differ from one plain run's"
    echo "ok: $1: the same $files files as one plain run, byte for byte"
}
filter=("$repo/scripts/slurm-filter-array.sh" "$work/photos" list.txt "$work/slurm")
predict=("$repo/scripts/slurm-predict-array.sh" "$work/photos" list.txt "$model" "$work/answers")

submit cnnfilter "${filter[@]}"
same_files "Slurm filter array"
submit cnnfilter-predict "${predict[@]}"
python3 "$repo/scripts/same-answers.py" answers.jsonl "Slurm predict array" answers/part-*.jsonl \
    || fail "the Slurm predict array's answers differ from one plain run's"

# Resubmitted after losing outputs (every 12th file, half a part), the same arrays do only what is missing.
lost=$(find slurm -type f | sort | awk 'NR % 12 == 0')
[ -z "$lost" ] || rm $lost
echo "--- resubmitted: $(wc -w <<<"$lost") filtered files removed, answers/part-2.jsonl cut half-way through a line"
part=answers/part-2.jsonl
head -c $(($(stat -c %s $part) / 2)) $part > $part.cut && mv $part.cut $part
submit cnnfilter "${filter[@]}"
same_files "Slurm filter array, resubmitted"
submit cnnfilter-predict "${predict[@]}"
python3 "$repo/scripts/same-answers.py" answers.jsonl "Slurm predict array, resubmitted" answers/part-*.jsonl \
    || fail "the resubmitted Slurm predict array's answers differ from one plain run's"
queued=$(squeue --noheader | wc -l)
[ "$queued" = 0 ] || fail "$queued jobs still in the queue"
echo "ok: 4 arrays of 4 tasks done, none left in the queue"
