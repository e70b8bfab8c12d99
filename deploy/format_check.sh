#!/usr/bin/env bash
# Checks that every C and C++ file in the tree is formatted as its
# .clang-format says (Google style for userspace, tests and benchmarks;
# kernel style for bpf/ and the ABI header). Prints the files that differ
# and how to fix them; exit 1 if any does.
#
#   deploy/format_check.sh            # check
#   deploy/format_check.sh --fix      # rewrite the files in place
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc' | grep -v '^docs/')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]} > 0)); then
  printf 'format_check: not formatted: %s\n' "${bad[@]}" >&2
  echo "format_check: run deploy/format_check.sh --fix (clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1))" >&2
  exit 1
fi
echo "format_check: ${#files[@]} files formatted"
