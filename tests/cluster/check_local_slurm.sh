#!/usr/bin/env bash
# Integration test: a real single-node Slurm on localhost (cluster/slurm/local-slurm.sh).
# Submits a job that writes a file and checks it ran and is recorded as COMPLETED by
# `sacct -c` (jobcomp/filetxt); submits a sleeping job, cancels it and checks it ends CANCELLED.
# Needs root and Debian's slurm-wlm + munge (bash cmake/quickstart.sh test installs them).
#
# Sharing the cluster: every user of the cluster holds a shared flock on
# $IONSCREEN_SLURM_DIR/users.lock while it runs. A test that had to start the cluster leaves the
# marker file started-by-test; on exit, whoever gets that lock exclusively (the last user out)
# stops the cluster if the marker is there. A cluster started by hand (no marker) is left running.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
local_slurm=$root/cluster/slurm/local-slurm.sh
state_dir=${IONSCREEN_SLURM_DIR:-/tmp/ionscreen-slurm}
export IONSCREEN_SLURM_DIR=$state_dir
readonly poll_limit_s=30

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[[ $(id -u) -eq 0 ]] || fail "needs root (the test Slurm's daemons run as root)"
for prog in sbatch squeue scancel sacct slurmctld slurmd munged flock; do
  command -v "$prog" >/dev/null \
    || fail "$prog not found; install: apt-get install --no-install-recommends slurm-wlm munge"
done

t_all=$(now)
work=$(mktemp -d /tmp/ionscreen-slurm-test.XXXXXX)
chmod 755 "$work"
name_base=ionscreen-test-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
job_names=()

cleanup() {
  local rc=$? n
  trap - EXIT
  for n in "${job_names[@]}"; do
    scancel --name="$n" >/dev/null 2>&1 || true
  done
  rm -rf -- "$work"
  # Last user out stops a cluster that a test started.
  if flock -n -x 8 2>/dev/null && [[ -e $state_dir/started-by-test ]]; then
    bash "$local_slurm" stop || rc=1
    rm -f -- "$state_dir/started-by-test"
  else
    echo "leaving the cluster running (in use, or not started by a test)"
  fi
  exit "$rc"
}

mkdir -p "$state_dir"
exec 8>"$state_dir/users.lock"
flock -s -w 120 8 || fail "could not take a shared lock on $state_dir/users.lock"
trap cleanup EXIT

# --- the cluster
t0=$(now)
if bash "$local_slurm" status >/dev/null; then
  echo "cluster already running; using it"
else
  : >"$state_dir/started-by-test"
fi
eval "$(bash "$local_slurm" start)"
[[ -n ${SLURM_CONF:-} && -f $SLURM_CONF ]] || fail "local-slurm.sh start printed no usable SLURM_CONF"
t_start=$(since "$t0")
echo "cluster ready in ${t_start}s (SLURM_CONF=$SLURM_CONF)"

# Waits while squeue lists a job named $1 (bounded); $2 is a description for the error.
wait_gone() {
  local name=$1 what=$2 deadline=$((SECONDS + poll_limit_s)) ids
  while :; do
    ids=$(squeue -h -n "$name" -o %i) || fail "squeue failed while waiting for $what"
    [[ -z $ids ]] && return 0
    ((SECONDS < deadline)) || fail "$what still in the queue after ${poll_limit_s}s: $(squeue -n "$name")"
    sleep 0.05
  done
}

# The State field of job id $1 named $2 in the jobcomp records, waiting for it (bounded).
# (`sacct -c --name` does not filter, so match the id and the name here.)
jobcomp_state() {
  local id=$1 name=$2 deadline=$((SECONDS + 10)) state
  while :; do
    state=$(sacct -c -n -P -j "$id" -o JobID,JobName,State \
      | awk -F'|' -v id="$id" -v n="$name" '$1 == id && $2 == n { s = $3 } END { print s }')
    [[ -n $state ]] && { printf '%s\n' "$state"; return 0; }
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# --- job 1: writes a file
name1=$name_base-write
job_names+=("$name1")
cat >"$work/write.sh" <<'EOF'
#!/bin/sh
# $1: output file. Records the job id and the host it ran on.
printf 'job %s on %s\n' "$SLURM_JOB_ID" "$(hostname)" >"$1.tmp" && mv "$1.tmp" "$1"
EOF
t0=$(now)
id1=$(sbatch --parsable --job-name="$name1" --partition=debug --ntasks=1 --time=5 \
  --chdir="$work" --output="$work/write.out" -- "$work/write.sh" "$work/result.txt")
id1=${id1%%;*}
[[ $id1 =~ ^[0-9]+$ ]] || fail "sbatch returned '$id1', not a job id"
wait_gone "$name1" "job $id1"
t_job1=$(since "$t0")
[[ -f $work/result.txt ]] || fail "job $id1 left no result file; its output: $(cat "$work/write.out" 2>/dev/null)"
grep -qx "job $id1 on .*" "$work/result.txt" || fail "unexpected result file: $(cat "$work/result.txt")"
state1=$(jobcomp_state "$id1" "$name1") || fail "sacct -c has no record of job $id1 ($name1)"
[[ $state1 == COMPLETED ]] || fail "job $id1 is $state1 in sacct -c, expected COMPLETED"
echo "job $id1 ($name1): COMPLETED, submit to done ${t_job1}s"

# --- job 2: sleeps, is cancelled
name2=$name_base-cancel
job_names+=("$name2")
printf '#!/bin/sh\nexec sleep 300\n' >"$work/sleep.sh"
t0=$(now)
id2=$(sbatch --parsable --job-name="$name2" --partition=debug --ntasks=1 --time=5 \
  --chdir="$work" --output="$work/sleep.out" -- "$work/sleep.sh")
id2=${id2%%;*}
[[ $id2 =~ ^[0-9]+$ ]] || fail "sbatch returned '$id2', not a job id"
deadline=$((SECONDS + poll_limit_s))
until [[ $(squeue -h -j "$id2" -o %T) == RUNNING ]]; do
  ((SECONDS < deadline)) || fail "job $id2 not RUNNING after ${poll_limit_s}s: $(squeue -j "$id2")"
  sleep 0.05
done
t_run2=$(since "$t0")
t0=$(now)
scancel "$id2"
wait_gone "$name2" "cancelled job $id2"
t_cancel=$(since "$t0")
state2=$(jobcomp_state "$id2" "$name2") || fail "sacct -c has no record of job $id2 ($name2)"
[[ $state2 == CANCELLED* ]] || fail "job $id2 is $state2 in sacct -c, expected CANCELLED"
echo "job $id2 ($name2): running after ${t_run2}s, CANCELLED ${t_cancel}s after scancel"

echo "timings: cluster start ${t_start}s, job turnaround ${t_job1}s, submit to running ${t_run2}s," \
  "scancel to gone ${t_cancel}s, total $(since "$t_all")s"
echo "PASS"
