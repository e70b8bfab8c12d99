#!/usr/bin/env bash
# Export cost: `darkscope export` into a ClickHouse server of its own
# (127.0.0.1, a free port, data in a temporary directory, stopped and
# removed at the end), and reports read back from it. Needs root (the
# server runs as the clickhouse user) and deploy/setup.sh's packages.
#
#   bench/export_cost.sh BUILD_DIR [ROUNDS=3] [PACKETS_PER_DAY=200000] [QUARTER_DAYS=90] [QUARTER_ROUNDS=1]
#
# Every export runs with --batch-files $EXPORT_COST_BATCH_FILES (default 64:
# with 1-minute files each INSERT's fixed cost dominates at 16; RESULTS.md).
#
# 1. One sensor-day of the telescope scenario (`darkscope gen --truth`,
#    10-minute intervals), exported ROUNDS times, each time into a database
#    of its own with a ledger of its own: median seconds, rows per second
#    (rows: the six base tables' count() after the export), seconds per
#    sensor-day.
# 2. Unless QUARTER_DAYS is 0: bench/report_scale's /16 (QUARTER_DAYS days
#    of 1-minute snapshots; it synthesises them, rolls them up and prints
#    its own table), exported once (rows per second at scale, seconds per
#    sensor-day), then the whole period reported QUARTER_ROUNDS times from
#    ClickHouse and from the roll-up files, alternating, by the same
#    `darkscope report --format json`: medians.
#
# Prints one line per figure; record them in bench/RESULTS.md with the
# command, the date and the machine. Run it under `flock /work/bench.lock`.
set -euo pipefail
source "$(dirname "$0")/../deploy/common.sh"
build=$(realpath "${1:?usage: export_cost.sh BUILD_DIR [ROUNDS] [PACKETS_PER_DAY] [QUARTER_DAYS]}")
rounds=${2:-3}
packets=${3:-200000}
quarter_days=${4:-90}
quarter_rounds=${5:-1}
batch=${EXPORT_COST_BATCH_FILES:-64}
darkscope=$build/userspace/darkscope
report_scale=$build/bench/report_scale
[[ $(id -u) -eq 0 ]] || { echo "export_cost: needs root (the server runs as the clickhouse user)" >&2; exit 2; }
[[ -x $darkscope ]] || { echo "export_cost: no $darkscope (build the darkscope target)" >&2; exit 2; }
if ((quarter_days > 0)) && [[ ! -x $report_scale ]]; then
  echo "export_cost: no $report_scale (build the report_scale target)" >&2
  exit 2
fi
work=$(mktemp -d /tmp/darkscope-export-bench-XXXXXX)
chmod 755 "$work"  # the clickhouse user reaches its directory in it
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(ds_free_port)
tcp_port=$(ds_free_port)
ds_clickhouse_config "$work/server" "$port" "$tcp_port" 16000000000
chown -R clickhouse:clickhouse "$work/server"
setpriv --reuid=clickhouse --regid=clickhouse --init-groups \
  /usr/sbin/clickhouse-server --config-file="$work/server/config.xml" >"$work/server/stdout.log" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 150); do
  curl -sf "$url/ping" >/dev/null && break
  sleep 0.2
done
curl -sf "$url/ping" >/dev/null || {
  echo "export_cost: clickhouse-server on $url did not answer: $(tail -5 "$work/server/server.err.log")" >&2
  exit 1
}
query() { curl -sf "$url/" --data-binary "$1"; }
# The six base tables' rows in database $1.
base_rows() {
  query "SELECT sum(rows) FROM system.parts WHERE active AND database = '$1' AND table IN ('snapshots', 'ports', 'src_ports', 'sources', 'destinations', 'flows')"
}
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 1. A telescope sensor-day, ROUNDS times.
day=$work/day
"$darkscope" gen --scenario telescope --packets "$packets" --seed 1 --truth "$day" >/dev/null 2>&1
times=()
for r in $(seq "$rounds"); do
  start=$(now)
  "$darkscope" export --clickhouse "$url" --database "day$r" --in "$day" --ledger "$work/day$r.ledger" \
    --batch-files "$batch" 2>>"$work/export.log"
  end=$(now)
  times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
done
rows=$(base_rows day1)
t=$(printf '%s\n' "${times[@]}" | median)
awk -v r="$rows" -v t="$t" -v n="$rounds" -v p="$packets" -v all="${times[*]}" 'BEGIN {
  printf "export_cost: --batch-files '"$batch"'; a telescope sensor-day (%d frames, 144 files, %d rows): median of %d %.2f s (%s): %.0f rows/s, %.2f s per sensor-day\n", p, r, n, t, all, r / t, t
}'

((quarter_days > 0)) || exit 0

# 2. The /16's quarter.
scale=$work/scale
echo "export_cost: bench/report_scale --days $quarter_days --rounds $quarter_rounds (its own figures):"
"$report_scale" --days "$quarter_days" --rounds "$quarter_rounds" --dir "$scale" 2>/dev/null
start=$(now)
"$darkscope" export --clickhouse "$url" --database quarter --in "$scale/raw" --ledger "$work/quarter.ledger" \
  --batch-files "$batch" 2>>"$work/export.log"
end=$(now)
rows=$(base_rows quarter)
disk=$(query "SELECT sum(bytes) FROM system.parts WHERE active AND database = 'quarter'")
awk -v r="$rows" -v s="$start" -v e="$end" -v d="$quarter_days" -v b="$disk" 'BEGIN {
  t = e - s
  printf "export_cost: the /16 quarter (%d days of 1-minute files, %d rows): exported in %.0f s: %.0f rows/s, %.1f s per sensor-day; %.2f GB in ClickHouse\n", d, r, t, r / t, t / d, b / 1e9
}'
from=2026-07-01T00:00:00Z
to=$(date -u -d "2026-07-01 + $quarter_days days" +%Y-%m-%dT%H:%M:%SZ)
from_clickhouse=()
from_files=()
limit=${EXPORT_COST_REPORT_LIMIT:-1200}  # seconds a report from ClickHouse may take
for r in $(seq "$quarter_rounds"); do
  start=$(now)
  if ! timeout "$limit" "$darkscope" report --clickhouse "$url" --database quarter \
    --from "$from" --to "$to" --format json --out "$work/quarter-clickhouse.json"; then
    echo "export_cost: report of the quarter from ClickHouse did not finish in $limit s (round $r)"
    from_clickhouse=()
    break
  fi
  end=$(now)
  from_clickhouse+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
  start=$(now)
  "$darkscope" report --in "$scale/rolled" --from "$from" --to "$to" \
    --format json --out "$work/quarter-files.json"
  end=$(now)
  from_files+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
done
if ((${#from_clickhouse[@]} == 0)); then
  start=$(now)
  "$darkscope" report --in "$scale/rolled" --from "$from" --to "$to" \
    --format json --out "$work/quarter-files.json"
  end=$(now)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "export_cost: report of the quarter from the roll-up files %.2f s\n", e - s }'
  exit 0
fi
c=$(printf '%s\n' "${from_clickhouse[@]}" | median)
f=$(printf '%s\n' "${from_files[@]}" | median)
awk -v c="$c" -v f="$f" -v n="${#from_clickhouse[@]}" -v cs="${from_clickhouse[*]}" -v fs="${from_files[*]}" 'BEGIN {
  printf "export_cost: report of the quarter, median of %d: from ClickHouse %.2f s (%s), from the roll-up files %.2f s (%s); ClickHouse / files %.2f\n", n, c, cs, f, fs, c / f
}'
