#!/usr/bin/env bash
# deploy/demo-sensors.sh as a test: three sensors exporting into a 2-shard
# ClickHouse cluster on loopback, then the report from ClickHouse. Passes
# when the report's per-sensor table names all three sensors, each with
# its top 10 destination ports, and each one's own scenario on top
# (tokyo 23/TCP, osaka 6379/TCP, paris 445/TCP). Exit 77 (skipped) where
# the demo cannot run, as the demo says.
#
#   tests/clickhouse_demo_test.sh SOURCE_DIR DARKSCOPE_BINARY
set -uo pipefail
source_dir=${1:?usage: clickhouse_demo_test.sh SOURCE_DIR DARKSCOPE_BINARY}
binary=${2:?usage: clickhouse_demo_test.sh SOURCE_DIR DARKSCOPE_BINARY}
out=$(mktemp /tmp/darkscope-demo-sensors-test-XXXXXX)
trap 'rm -f "$out"' EXIT
"$source_dir/deploy/demo-sensors.sh" "$binary" >"$out" 2>&1
status=$?
if ((status != 0)); then
  cat "$out"
  exit "$status"
fi
failed=0
for expect in "tokyo 23/TCP" "osaka 6379/TCP" "paris 445/TCP"; do
  read -r sensor top <<<"$expect"
  # "  tokyo    11770  23/TCP  2323/TCP ...": the sensor, its packets, ten ports.
  row=$(awk -v s="$sensor" '/^Top 10 destination ports per sensor/ { on = 1; next }
                            on && $1 == s { print }' "$out")
  if [[ -z $row ]]; then
    echo "clickhouse_demo_test: the report names no sensor $sensor"
    failed=1
    continue
  fi
  read -r -a fields <<<"$row"
  if ((${#fields[@]} != 12)) || [[ ${fields[2]} != "$top" ]]; then
    echo "clickhouse_demo_test: sensor $sensor: want 10 ports, $top first; got: $row"
    failed=1
  fi
done
if ((failed)); then
  cat "$out"
  exit 1
fi
echo "clickhouse_demo_test: the report from ClickHouse names tokyo, osaka and paris, each with its top 10 ports"
