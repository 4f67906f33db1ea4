#!/usr/bin/env bash
# Job wrapper for the DFT/NEB engines qe, cp2k and vasp (job protocol 1, docs/job_protocol.md).
# Usage: dft.sh JOB_DIR. The stage runner (`ionscreen dft-step`) decides every step and writes
# JOB_DIR/status and JOB_DIR/result.json itself, atomically; this script only runs the command
# it names, so the code's own failures are judged from its outputs, not from its exit code.
# Environment: IONSCREEN (the binary, default ionscreen on PATH), IONSCREEN_SITE_SETUP (a site
# script to source first, e.g. module loads; empty for none).
set -euo pipefail
job_dir=${1:?usage: dft.sh JOB_DIR}
ionscreen=${IONSCREEN:-ionscreen}

if [[ -n ${IONSCREEN_SITE_SETUP:-} ]]; then
  set +u  # module scripts read unset variables
  # shellcheck disable=SC1090
  source "$IONSCREEN_SITE_SETUP"
  set -u
fi

# A job started by a driver that runs under mpirun inherits Open MPI's and PMIx's variables; with
# them a launcher would take itself for a rank of the driver's job.
for name in $(compgen -e); do
  case $name in OMPI_* | PMIX_* | PMI_* | OPAL_*) unset "$name" ;; esac
done

# One OpenMP thread per MPI process unless the site says otherwise: hybrid builds (cp2k.psmp)
# otherwise start a thread per core in every process.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

while true; do
  rc=0
  "$ionscreen" dft-step "$job_dir" || rc=$?
  [[ $rc -eq 0 ]] || break
  # next_command: NUL-separated fields: the stage folder, its log file, then the argument vector.
  mapfile -d '' -t step < "$job_dir/next_command"
  (cd "${step[0]}" && exec "${step[@]:2}") > "${step[0]}/${step[1]}" 2>&1 < /dev/null || true
done
# 3: the runner wrote the final status; anything else: it failed itself.
[[ $rc -eq 3 ]] || exit "$rc"
[[ $(< "$job_dir/status") == done ]]
