#!/usr/bin/env bash
# Every C++ file of the tree as .clang-format (Debian 12's clang-format 14) would write it.
# Usage: check_format.sh SOURCE_DIR [--fix]. Exit 1 listing the files that differ; --fix
# reformats them in place instead.
set -euo pipefail
cd "${1:?usage: check_format.sh SOURCE_DIR [--fix]}"
mapfile -t files < <(find gp structures pipeline drivers tests \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -type f | sort)
if [[ ${2:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  echo "${#files[@]} files formatted"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf '%s is not formatted as .clang-format says\n' "${bad[@]}"
  echo "${#bad[@]} of ${#files[@]} files differ; fix: bash tests/architecture/check_format.sh . --fix"
  exit 1
fi
echo "${#files[@]} files formatted as .clang-format says"
