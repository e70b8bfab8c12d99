#!/usr/bin/env bash
# The demo of darkscope's main job on a darknet of its own: two network
# namespaces joined by a veth pair, the sensor on one end counting a
# darknet of 198.18.0.0/15, generated scanner traffic from the other end,
# and a printed report of the top ports and sources.
#
# The agent that attaches to an interface and writes snapshots is being
# built (issue "The agent"); until it lands, this script prints what the
# demo will do and runs what exists: the data plane over a generated mix
# of frames through BPF_PROG_TEST_RUN, which needs no network at all.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "deploy/demo.sh: needs root to load XDP programs (run it with sudo)" >&2
  exit 2
fi
./deploy/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

cat <<'PLAN'
darkscope demo: what it will do once the agent lands
  1. create namespaces ds-demo-sensor and ds-demo-scanner, a veth pair
     between them, no route out;
  2. darkscope run --iface veth0 --prefix 198.18.0.0/15 --interval 5s
     in the sensor namespace;
  3. send Mirai, ZMap and Masscan scans, backscatter and reflection to
     198.18.0.0/15 from the scanner namespace (bounded in packets and time);
  4. print the top 10 ports and sources with darkscope cat.
What runs now: the data plane's fixtures, through BPF_PROG_TEST_RUN.
PLAN
./build/tests/xdp_fixtures_test --gtest_brief=1 --gtest_filter='*_shared'
