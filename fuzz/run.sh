#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan, UB fatal) in
# build-fuzz/ and runs each for SECONDS (default 60) from its seed corpus
# in fuzz/corpus/NAME, new inputs going to a scratch directory. Fails on the
# first harness that crashes, leaks, times out or runs out of memory; the
# input that did it is left as build-fuzz/crash-NAME-* (add it to
# fuzz/corpus/NAME with the fix).
#
#   fuzz/run.sh [SECONDS] [NAME...]     # default: every harness
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
  harnesses=(snapshot pcap config scenario http)
fi
build=${DARKSCOPE_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDARKSCOPE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=()
for name in "${harnesses[@]}"; do targets+=("${name}_fuzzer"); done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for name in "${harnesses[@]}"; do
  mkdir -p "$scratch/$name"
  echo "fuzz/run.sh: $name for ${seconds}s"
  # -timeout: one input may take at most 10 s (the HTTP server's request
  # deadline is 2 s); -rss_limit_mb: the decoder's bounds keep a 4 KB input
  # well under it.
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$build/fuzz/${name}_fuzzer" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2560 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$build/crash-$name-" "$scratch/$name" "fuzz/corpus/$name" \
      >"$scratch/$name.log" 2>&1; then
    tail -60 "$scratch/$name.log" >&2
    echo "fuzz/run.sh: $name failed; the input is $build/crash-$name-*" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^Done' "$scratch/$name.log" | tr '\n' ' '
  echo
done
echo "fuzz/run.sh: ${harnesses[*]}: no crash in ${seconds}s each"
