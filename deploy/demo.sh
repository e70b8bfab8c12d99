#!/usr/bin/env bash
# darkscope's main job on a demo darknet of its own, on this machine only:
#   1. two network namespaces joined by a veth pair, no addresses, no route
#      out (deleted on exit, whatever happens);
#   2. the sensor, `darkscope run`, on the sensor's end, counting the
#      darknet 198.18.0.0/15 in 2 s intervals;
#   3. `darkscope gen` on the other end sending the demo scenario (Mirai,
#      ZMap and Masscan scans, backscatter, reflection, ICMP, a little
#      non-darknet traffic): 30,000 frames, at most 20 s;
#   4. the snapshots read back with `darkscope cat`: totals, the top 10
#      destination ports and the top 10 source networks.
set -euo pipefail
cd "$(dirname "$0")/.."

source deploy/common.sh
ds_require_root deploy/demo.sh "to load XDP programs and create namespaces"
# DARKSCOPE_BINARY: a darkscope already built (the demo's test); otherwise
# the packages are installed and build/ is built.
if [[ -n ${DARKSCOPE_BINARY:-} ]]; then
  darkscope=$DARKSCOPE_BINARY
else
  ds_build darkscope
  darkscope=$PWD/build/userspace/darkscope
fi

sensor_ns=ds-demo-sensor-$$
scanner_ns=ds-demo-scanner-$$
out_dir=$(mktemp -d /tmp/darkscope-demo-XXXXXX)
agent_pid=
cleanup() {
  ds_stop_process "$agent_pid"
  ds_veth_lab_delete "$sensor_ns" "$scanner_ns"
}
trap cleanup EXIT

echo "== creating namespaces $sensor_ns and $scanner_ns with a veth pair"
ds_veth_lab_create "$sensor_ns" "$scanner_ns" dsdemo0 dsdemo1

echo "== starting the sensor on dsdemo0, darknet 198.18.0.0/15, snapshots in $out_dir"
ip netns exec "$sensor_ns" "$darkscope" run --iface dsdemo0 --prefix 198.18.0.0/15 \
  --interval 2s --out "$out_dir" --sensor demo >"$out_dir/agent.log" 2>&1 &
agent_pid=$!
ds_wait_attached "$out_dir/agent.log" "$agent_pid" || exit 1
sed 's/^/  /' "$out_dir/agent.log"

echo "== sending the demo scenario from $scanner_ns"
ip netns exec "$scanner_ns" "$darkscope" gen --send dsdemo1 --scenario demo \
  --packets 30000 --rate 6000 --max-time 20s | tee "$out_dir/gen.out"
sent=$(sed -n 's/.*; sent \([0-9]*\) on .*/\1/p' "$out_dir/gen.out")
sleep 0.5
kill -TERM "$agent_pid"
wait "$agent_pid"
agent_pid=

echo
echo "== snapshots"
ls "$out_dir"/*.dsnap | sed 's|.*/|  |'
echo
"$darkscope" cat --format csv --table summary "$out_dir" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "table" { next }
  { seen += $col["packets_seen"]; dark += $col["darknet_packets"]; non += $col["non_darknet"]
    mirai += $col["mirai"]; zmap += $col["zmap"]; masscan += $col["masscan"]; bs += $col["backscatter"] }
  END { printf "packets seen %d, darknet %d, non-darknet %d\n", seen, dark, non
        printf "fingerprints: Mirai %d, ZMap %d, Masscan %d; backscatter %d\n", mirai, zmap, masscan, bs }'
seen=$("$darkscope" cat --format csv --table summary "$out_dir" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "table" { next }
  { seen += $col["packets_seen"] }
  END { print seen + 0 }')
# Every frame sent must be counted: on veth each one runs the program.
if [[ "$seen" != "$sent" ]]; then
  echo "deploy/demo.sh: the sensor counted $seen frames of the $sent sent" >&2
  exit 1
fi
echo
echo "== top 10 destination ports"
"$darkscope" cat --format csv --table ports "$out_dir" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "table" { next }
  { key = $col["port"] "/" toupper($col["proto"]); p[key] += $col["packets"]; m[key] += $col["mirai"] }
  END { for (k in p) printf "%d %s %d\n", p[k], k, m[k] }' |
  sort -rn | awk "NR <= 10" | awk 'BEGIN { printf "  %-12s %9s %7s\n", "port", "packets", "mirai" }
                              { printf "  %-12s %9d %6.0f%%\n", $2, $1, 100 * $3 / $1 }'
echo
echo "== top 10 source networks"
"$darkscope" cat --format csv --table sources "$out_dir" | awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == "table" { next }
  { p[$col["src_net"]] += $col["packets"]; if ($col["ports"] > w[$col["src_net"]]) w[$col["src_net"]] = $col["ports"] }
  END { for (k in p) printf "%d %s %d\n", p[k], k, w[k] }' |
  sort -rn | awk "NR <= 10" | awk 'BEGIN { printf "  %-20s %9s %s\n", "source", "packets", "ports (max per interval, est.)" }
                              { printf "  %-20s %9d %d\n", $2, $1, $3 }'
rm -rf "$out_dir"
