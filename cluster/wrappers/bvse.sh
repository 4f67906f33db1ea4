#!/usr/bin/env bash
# Job wrapper for the built-in BVSE engine (job protocol 1, docs/job_protocol.md).
# Usage: bvse.sh JOB_DIR. ionscreen writes JOB_DIR/status and JOB_DIR/result.json itself,
# atomically. Environment: IONSCREEN (the binary, default: ionscreen on PATH), IONSCREEN_INPUTS
# (the folder holding elements/ and bvse/, default: inputs).
set -euo pipefail
job_dir=${1:?usage: bvse.sh JOB_DIR}
exec "${IONSCREEN:-ionscreen}" job "$job_dir" --inputs "${IONSCREEN_INPUTS:-inputs}"
