#!/usr/bin/env bash
# Builds darkscope and runs every test: unit tests, the data plane's
# fixtures through BPF_PROG_TEST_RUN, and (with root) the end-to-end runs in
# network namespaces. Installs the Debian packages first when run as root.
#
#   ./deploy/test.sh                 # as root: everything
#   ./deploy/test.sh                 # without root: privileged tests skip
#
# DARKSCOPE_REQUIRE_PRIVILEGED=1 turns those skips into failures (CI);
# DARKSCOPE_WERROR=ON makes compiler warnings errors (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  ./deploy/setup.sh
else
  echo "deploy/test.sh: not root: packages are not installed and the privileged tests" \
    "skip; run it as root (from a root shell) for everything" >&2
fi
build_dir=${DARKSCOPE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDARKSCOPE_WERROR="${DARKSCOPE_WERROR:-OFF}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest -j"$(nproc)" --output-on-failure
