#!/usr/bin/env bash
# Job wrapper for the built-in table engine (job protocol 1, docs/job_protocol.md): E_b looked up
# in a CSV table, with optional fault injection for testing a campaign's failure handling.
# Usage: table.sh JOB_DIR. ionscreen writes JOB_DIR/status and JOB_DIR/result.json itself,
# atomically. Environment: IONSCREEN (the binary, default: ionscreen on PATH), IONSCREEN_INPUTS
# (the folder holding elements/ and bvse/, default: inputs; unused by this engine).
set -euo pipefail
job_dir=${1:?usage: table.sh JOB_DIR}
exec "${IONSCREEN:-ionscreen}" job "$job_dir" --inputs "${IONSCREEN_INPUTS:-inputs}"
