#!/usr/bin/env bash
# Export cost: rows per second and seconds per sensor-day of `darkscope
# export` into a ClickHouse server of its own (127.0.0.1, a free port, data
# in a temporary directory, stopped at the end). Needs root (the server runs
# as the clickhouse user) and deploy/setup.sh's packages.
#
#   bench/export_cost.sh BUILD_DIR [SENSOR_DAYS=3] [PACKETS_PER_DAY=200000]
#
# Prints one line per run; record them in bench/RESULTS.md with the date and
# the machine.
set -euo pipefail
build=${1:?usage: export_cost.sh BUILD_DIR [SENSOR_DAYS] [PACKETS_PER_DAY]}
days=${2:-3}
packets=${3:-200000}
darkscope=$build/userspace/darkscope
work=$(mktemp -d /tmp/darkscope-export-bench-XXXXXX)
port=$((20000 + RANDOM % 10000))
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$work/server.log</log><errorlog>$work/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$port</http_port><tcp_port>$((port + 1))</tcp_port>
  <path>$work/data/</path><tmp_path>$work/tmp/</tmp_path>
  <user_files_path>$work/user_files/</user_files_path>
  <format_schema_path>$work/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <profiles><default></default></profiles><quotas><default></default></quotas>
</yandex>
XML
chown -R clickhouse:clickhouse "$work"
setpriv --reuid=clickhouse --regid=clickhouse --init-groups \
  /usr/sbin/clickhouse-server --config-file="$work/config.xml" >"$work/stdout.log" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -sf "$url/ping" >/dev/null && break
  sleep 0.2
done

# Sensor-days: the telescope day, one seed per sensor.
rows=0
ins=()
for d in $(seq "$days"); do
  dir=$work/sensor-$d
  mkdir -p "$dir"
  "$darkscope" gen --scenario telescope --packets "$packets" --seed "$d" --truth "$dir" >/dev/null 2>&1
  for t in summary ports src_ports sources destinations flows; do
    rows=$((rows + $("$darkscope" cat --table "$t" "$dir" | wc -l)))
  done
  ins+=(--in "$dir")
done
start=$(date +%s.%N)
"$darkscope" export --clickhouse "$url" "${ins[@]}" --ledger "$work/ledger"
end=$(date +%s.%N)
awk -v r="$rows" -v s="$start" -v e="$end" -v d="$days" 'BEGIN {
  t = e - s
  printf "export_cost: %d sensor-days, %d rows in %.2f s: %.0f rows/s, %.2f s per sensor-day\n", d, r, t, r / t, t / d
}'
