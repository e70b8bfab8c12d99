#!/usr/bin/env bash
# Many sensors, one store, on this machine only:
#   1. a ClickHouse cluster on loopback: one ZooKeeper and two ClickHouse
#      servers (two shards), on free ports, data in a temporary directory,
#      stopped and removed on exit, whatever happens;
#   2. three sensors (tokyo, osaka, paris), each `darkscope run` in a
#      namespace of its own joined by a veth pair to a scanner namespace
#      (no addresses, no route out), each watching its own /24 of
#      198.18.0.0/15 in 2 s intervals;
#   3. each scanner sending its own scenario with `darkscope gen` (telnet and
#      Mirai; Redis and SSH; SMB, as in seed 002's table): 12,000 frames,
#      at most 10 s each;
#   4. `darkscope export --follow` per sensor into the cluster while the
#      snapshots are written, until ClickHouse holds every one;
#   5. `darkscope report --clickhouse` over the demo's minutes: totals, and
#      each sensor's top 10 destination ports (seed 002's TOP10 table).
#
#   deploy/demo-sensors.sh [DARKSCOPE_BINARY]
#
# Without a binary it builds one (deploy/common.sh). Exit 77 when it cannot
# run here (not root, ClickHouse or ZooKeeper not installed), unless
# DARKSCOPE_REQUIRE_PRIVILEGED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/common.sh

cannot_run() {
  echo "deploy/demo-sensors.sh: $1" >&2
  [[ ${DARKSCOPE_REQUIRE_PRIVILEGED:-0} == 1 ]] && exit 1
  exit 77
}
[[ $(id -u) -eq 0 ]] ||
  cannot_run "needs root to load XDP programs, create namespaces and run ClickHouse as its user"
[[ -x /usr/sbin/clickhouse-server && -r /usr/share/java/zookeeper.jar ]] ||
  cannot_run "clickhouse-server and zookeeper are not installed (deploy/setup.sh installs them)"

if [[ $# -ge 1 ]]; then
  darkscope=$(realpath "$1")
else
  ds_build darkscope
  darkscope=$PWD/build/userspace/darkscope
fi

sensors=(tokyo osaka paris)
work=$(mktemp -d /tmp/darkscope-demo-sensors-XXXXXX)
chmod 755 "$work"  # the servers' users reach their directories in it
pids=()          # agents and exporters, stopped first
server_pids=()   # ClickHouse servers, then ZooKeeper
namespaces=()
cleanup() {
  local p ns
  for p in "${pids[@]}"; do ds_stop_process "$p"; done
  for p in "${server_pids[@]}"; do ds_stop_process "$p"; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq $((seconds * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "deploy/demo-sensors.sh: $what did not come up in $seconds s" >&2
  exit 1
}

echo "== ZooKeeper and two ClickHouse shards on 127.0.0.1, data in $work"
zk_port=$(ds_free_port)
mkdir -p "$work/zookeeper/data"
cat >"$work/zookeeper/zoo.cfg" <<EOF
tickTime=500
dataDir=$work/zookeeper/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
EOF
chown -R zookeeper:zookeeper "$work/zookeeper"
setpriv --reuid=zookeeper --regid=zookeeper --init-groups java -Xmx256m \
  -Dzookeeper.log.dir="$work/zookeeper" -cp /usr/share/java/zookeeper.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/zookeeper/zoo.cfg" \
  >"$work/zookeeper/zookeeper.log" 2>&1 &
server_pids+=($!)
# Serving sessions ("srvr" names its mode); "ruok" says imok while it still
# refuses them, and ClickHouse 18.16 then crashes in its DDL worker.
zk_ok() { (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && echo srvr >&3 && cat <&3) 2>/dev/null | grep -q '^Mode: '; }
wait_for ZooKeeper 60 zk_ok

http_ports=()
tcp_ports=()
for shard in 1 2; do
  http_ports+=("$(ds_free_port)")
  tcp_ports+=("$(ds_free_port)")
done
layout="<demo>"
for shard in 1 2; do
  layout+="<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host>"
  layout+="<port>${tcp_ports[shard - 1]}</port></replica></shard>"
done
layout+="</demo>"
for shard in 1 2; do
  d=$work/clickhouse-$shard
  mkdir -p "$d"
  ds_clickhouse_config "$d" "${http_ports[shard - 1]}" "${tcp_ports[shard - 1]}" 2000000000 "
  <interserver_http_port>$(ds_free_port)</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host>
  <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node><session_timeout_ms>3000</session_timeout_ms></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <macros><shard>0$shard</shard><replica>r1</replica></macros>
  <remote_servers>$layout</remote_servers>"
  chown -R clickhouse:clickhouse "$d"
  setpriv --reuid=clickhouse --regid=clickhouse --init-groups \
    clickhouse-server --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
  server_pids+=($!)
done
# Servers first in the cleanup order: ZooKeeper stops last.
server_pids=("${server_pids[@]:1}" "${server_pids[0]}")
for shard in 1 2; do
  wait_for "ClickHouse shard $shard" 60 curl -sf "http://127.0.0.1:${http_ports[shard - 1]}/ping"
done
url=http://127.0.0.1:${http_ports[0]}
query() { curl -sf "$url/" --data-binary "$1"; }
export_flags=(--clickhouse "$url" --cluster demo --database demo)
# The schema, once (ON CLUSTER), before the three exporters start.
mkdir -p "$work/empty"
"$darkscope" export "${export_flags[@]}" --in "$work/empty" --ledger "$work/schema.ledger" >/dev/null

# The sensors' scenarios: seed 002's sensors differ in their order, not in
# what they see; here each scanner stresses other ports.
scenario() {
  local name=$1 subnet=$2 seed=$3 main=$4
  cat <<EOF
name $name
start 2026-11-23T10:00:00Z
duration 10s
interval 2s
packets 12000
seed $seed
darknet $subnet
$main
population mirai    share=15 kind=mirai ports=23:70,2323:20,37215:10 sources=BR:40,VN:30,IN:30 hosts=120 networks=6
population web      share=12 kind=syn ports=80:40,443:30,8080:30 sources=CN:60,US:40 hosts=60 networks=4
population zmap     share=8  kind=zmap ports=22:50,3389:50 sources=US:100 hosts=40 networks=2
population adb      share=6  kind=syn ports=5555:100 sources=CN:50,KR:50 hosts=30 networks=3
population echo     share=4  kind=icmp-echo sources=KR:100 hosts=10 networks=1
population sip      share=3  kind=udp-probe ports=5060:100 sources=NL:100 hosts=10 networks=1
population outside  share=2  kind=non-darknet ports=22:100 sources=DE:100 hosts=10 networks=1
EOF
}
scenario tokyo 198.18.1.0/24 11 \
  "population telnet  share=50 kind=mirai ports=23:80,2323:20 sources=CN:40,BR:30,TW:30 hosts=200 networks=20" \
  >"$work/tokyo.scenario"
scenario osaka 198.18.2.0/24 12 \
  "population redis   share=50 kind=syn ports=6379:60,22:40 sources=CN:70,RU:30 hosts=150 networks=15" \
  >"$work/osaka.scenario"
scenario paris 198.19.3.0/24 13 \
  "population smb     share=50 kind=syn ports=445:70,139:30 sources=ID:50,RU:30,IN:20 hosts=150 networks=15" \
  >"$work/paris.scenario"
declare -A subnet=([tokyo]=198.18.1.0/24 [osaka]=198.18.2.0/24 [paris]=198.19.3.0/24)

echo "== three sensors, each in its own namespaces, exporting with --follow"
from=$(date -u +%Y-%m-%dT%H:%M:00Z)
agents=()
for i in 0 1 2; do
  s=${sensors[i]}
  ns=ds-ms-$s-$$
  namespaces+=("$ns-sensor" "$ns-scanner")
  ds_veth_lab_create "$ns-sensor" "$ns-scanner" "dsms${i}a" "dsms${i}b"
  mkdir -p "$work/$s"
  ip netns exec "$ns-sensor" "$darkscope" run --iface "dsms${i}a" --prefix "${subnet[$s]}" \
    --interval 2s --out "$work/$s" --sensor "$s" >"$work/$s.agent.log" 2>&1 &
  pids+=($!)
  agents+=($!)
  "$darkscope" export "${export_flags[@]}" --follow --poll 1s --in "$work/$s" \
    --ledger "$work/$s.ledger" >"$work/$s.export.log" 2>&1 &
  pids+=($!)
  echo "  $s: darknet ${subnet[$s]}, dsms${i}a in $ns-sensor, snapshots in $work/$s"
done
for i in 0 1 2; do
  attached() { ip netns exec "ds-ms-${sensors[i]}-$$-sensor" ip link show "dsms${i}a" | grep -q xdp; }
  wait_for "sensor ${sensors[i]}" 20 attached
done
sleep 0.5

echo "== sending each sensor's scenario (12,000 frames, at most 10 s each)"
senders=()
for i in 0 1 2; do
  s=${sensors[i]}
  ip netns exec "ds-ms-$s-$$-scanner" "$darkscope" gen --send "dsms${i}b" \
    --scenario "$work/$s.scenario" --packets 12000 --rate 2000 --max-time 10s \
    >"$work/$s.gen.log" 2>&1 &
  senders+=($!)
done
for p in "${senders[@]}"; do wait "$p"; done
sleep 0.5
for p in "${agents[@]}"; do ds_stop_process "$p"; done
to=$(date -u -d "+1 min" +%Y-%m-%dT%H:%M:00Z)

files=$(find "${sensors[@]/#/$work/}" -maxdepth 1 -name '*.dsnap' | wc -l)
echo "== waiting until ClickHouse holds all $files snapshots"
exported() { [[ $(query "SELECT count() FROM demo.snapshots") -ge $files ]]; }
wait_for "the export" 60 exported
for p in "${pids[@]}"; do ds_stop_process "$p"; done
pids=()
query "SELECT sensor, count() AS snapshots, sum(darknet_packets) AS packets FROM demo.snapshots GROUP BY sensor ORDER BY sensor FORMAT PrettyCompactNoEscapes" | sed "s/^/  /"
echo "  rows per shard (ports table): $(curl -sf "http://127.0.0.1:${http_ports[0]}/" --data-binary "SELECT count() FROM demo.ports_local") and $(curl -sf "http://127.0.0.1:${http_ports[1]}/" --data-binary "SELECT count() FROM demo.ports_local")"

echo
echo "== darkscope report --clickhouse $url --database demo --from $from --to $to"
"$darkscope" report --clickhouse "$url" --database demo --from "$from" --to "$to" \
  --format json --out "$work/report.json"
"$darkscope" report --clickhouse "$url" --database demo --from "$from" --to "$to" \
  --out "$work/report.txt"
head -2 "$work/report.txt"
echo
# The JSON's sensors (keys in order: packets, sensor, top_ports; each port:
# packets, port, rank), one line per sensor as seed 002's table has them.
awk '
  /^  "sensors": \[/ { on = 1; next }
  on && /^  \]/ { on = 0 }
  !on { next }
  /"packets":/ && !name { gsub(/[^0-9]/, ""); total = $0 }
  /"sensor":/ { split($0, f, "\""); name = f[4]; row = "" }
  /"port":/ { split($0, f, "\""); row = row sprintf(" %-9s", f[4]) }
  /^    \}/ { rows[++n] = sprintf("  %-8s %9d %s", name, total, row); name = "" }
  END {
    printf "Top 10 destination ports per sensor\n  %-8s %9s  1st .. 10th\n", "sensor", "packets"
    for (i = 1; i <= n; i++) print rows[i]
  }' "$work/report.json"
