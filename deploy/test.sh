#!/usr/bin/env bash
# Builds darkscope and runs every test: unit tests, the data plane's
# fixtures through BPF_PROG_TEST_RUN, and (with root) the end-to-end runs in
# network namespaces. Installs the Debian packages first when run as root.
#
#   sudo ./deploy/test.sh            # everything
#   ./deploy/test.sh                 # without root: privileged tests skip
#
# DARKSCOPE_REQUIRE_PRIVILEGED=1 turns those skips into failures (CI);
# DARKSCOPE_WERROR=ON makes compiler warnings errors (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  ./deploy/setup.sh
fi
build_dir=${DARKSCOPE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDARKSCOPE_WERROR="${DARKSCOPE_WERROR:-OFF}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure
