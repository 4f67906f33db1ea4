#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, build-fuzz/) and fuzzes each for a bounded
# time from its committed corpus (docs/fuzzing.md). Exit code 1 on any finding: a crash, a
# sanitizer report, an uncaught exception, a hang (-timeout) or a runaway allocation; the input
# that did it is kept in build-fuzz/findings/<target>/ and named in the output.
#   bash tests/fuzz/run_fuzz.sh                  CI: 8 s per target (13 targets, under 2 minutes)
#   bash tests/fuzz/run_fuzz.sh --seconds 3600   the long run; --jobs N runs N targets at once
#   bash tests/fuzz/run_fuzz.sh --only cif       one target
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=8 jobs=1 only=""
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: run_fuzz.sh [--seconds N] [--jobs N] [--only TARGET]" >&2; exit 2 ;;
  esac
done

build=build-fuzz
# -O1 and line tables: quick to build, what libFuzzer is usually run with, readable stacks.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DIONSCREEN_FUZZ=ON -DIONSCREEN_BENCHMARKS=OFF -DIONSCREEN_NATIVE=OFF >/dev/null
cmake --build "$build" --target fuzz_all --parallel 2

targets=()
for dir in tests/fuzz/corpus/*/; do
  name=$(basename "$dir")
  [[ -z $only || $name == "$only" ]] && targets+=("$name")
done
((${#targets[@]})) || { echo "no fuzz target named '$only'" >&2; exit 2; }

# One target: its committed seeds are read, new inputs go to a scratch corpus (the committed one
# changes only by hand), findings to findings/<target>/.
fuzz_one() {
  local name=$1 work="$build/fuzz-work/$name" found="$build/findings/$name"
  rm -rf "$work" && mkdir -p "$work" "$found"
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$found/" \
    "$work" "tests/fuzz/corpus/$name" >"$build/fuzz-work/$name.log" 2>&1
}

mkdir -p "$build/fuzz-work"
failed=()
running=0
for name in "${targets[@]}"; do
  fuzz_one "$name" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
done
wait || true

total=0
printf '%-16s %12s %10s %s\n' target executions "exec/s" result
for name in "${targets[@]}"; do
  log="$build/fuzz-work/$name.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  total=$((total + runs))
  artifacts=$(find "$build/findings/$name" -type f | head -3)
  if [[ -n $artifacts ]] || ! grep -q 'Done [0-9]* runs' "$log"; then
    failed+=("$name")
    printf '%-16s %12s %10s %s\n' "$name" "$runs" "$rate" "FINDING (log: $log) $artifacts"
    grep -m5 -E 'ERROR|runtime error|terminate|SUMMARY' "$log" | sed 's/^/    /' || true
  else
    printf '%-16s %12s %10s %s\n' "$name" "$runs" "$rate" ok
  fi
done
echo "total executions: $total"
((${#failed[@]} == 0)) || { echo "fuzz findings in: ${failed[*]}" >&2; exit 1; }
