#!/usr/bin/env bash
# Integration: the real wrapper (bvse.sh -> `ionscreen job`) runs the real binary on a copy of a
# job directory; Python's json module reads the result back.
# Usage: check_bvse_wrapper.sh IONSCREEN_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
binary=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# A directory name with spaces and quotes: paths travel as whole arguments, never through a shell.
job="$work/job with spaces 'and' \"quotes\""
cp -r "$source/tests/fixtures/jobs/bvse_li3po4" "$job"
IONSCREEN="$binary" IONSCREEN_INPUTS="$source/inputs" bash "$source/cluster/wrappers/bvse.sh" "$job"
test "$(cat "$job/status")" = done
/usr/bin/python3 - "$job/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["job_id"] == "fixture-li3po4", r
assert abs(r["E_b"] - 0.4785) < 0.005 and abs(r["E_3D"] - 0.8008) < 0.005, r  # bvlain's Li3PO4
print("wrapper result read by python json:", r["E_1D"], r["E_2D"], r["E_3D"])
PY
