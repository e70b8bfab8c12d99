#!/usr/bin/env bash
# How fast `darkscope replay` turns a capture into snapshots: frames per
# second of the telescope scenario replayed at INTERVAL (60 s by default,
# 1,440 intervals over the scenario's day), median of ROUNDS runs.
#
# The capture is generated once (`darkscope gen --scenario telescope
# --packets PACKETS --pcap`), into a temporary directory, as are the
# snapshots (deleted after each run). SPAN=2h replays a scenario of the
# same density over 2 hours instead of a day (PACKETS scaled to 2/24 of
# it), for a build whose replay of a whole day takes many minutes.
# Prints a Markdown section on stdout; writes nothing into the repository.
#
#   sudo ./bench/replay_rate.sh
#   sudo DARKSCOPE=/tmp/old/darkscope SPAN=2h ./bench/replay_rate.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${PACKETS:-200000}
INTERVAL=${INTERVAL:-60s}
ROUNDS=${ROUNDS:-3}
SPAN=${SPAN:-24h}

source deploy/common.sh
ds_require_root bench/replay_rate.sh "to load the XDP program for BPF_PROG_TEST_RUN"
[[ -n ${NO_BUILD:-} ]] || ds_build darkscope  # NO_BUILD=1: as built
darkscope=${DARKSCOPE:-$PWD/build/userspace/darkscope}  # DARKSCOPE=: another build
work=$(mktemp -d /tmp/darkscope-replay-rate-XXXXXX)
trap 'rm -rf "$work"' EXIT

log() { echo "replay_rate: $*" >&2; }

scenario=telescope
frames=$PACKETS
if [[ $SPAN != 24h ]]; then
  hours=${SPAN%h}
  frames=$((PACKETS * hours / 24))
  # The built-in telescope scenario, over SPAN instead of a day.
  # (the raw string starts on the line after the declaration, or on it)
  sed -n '/^constexpr const char\* kTelescopeScenario =/,/^)";/p' userspace/gen/scenario.cc |
    sed -z 's/^[^\n]*kTelescopeScenario =[ \n]*R"(//' | sed '$d' | sed "s/^duration 24h/duration $SPAN/" >"$work/telescope.scenario"
  scenario=$work/telescope.scenario
fi
"$darkscope" gen --scenario "$scenario" --packets "$frames" --pcap "$work/capture.pcap" >/dev/null
log "$frames frames over $SPAN, interval $INTERVAL, $ROUNDS rounds, $darkscope"

rates=()
for round in $(seq "$ROUNDS"); do
  mkdir "$work/out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  "$darkscope" replay --prefix 198.18.0.0/15 --prefix 2001:db8:d::/48 --interval "$INTERVAL" \
    --out "$work/out" "$work/capture.pcap" >"$work/replay.out"
  t1=$(date +%s.%N)
  files=$(find "$work/out" -name '*.dsnap' | wc -l)
  rate=$(awk -v n="$frames" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  log "round $round: $secs s, $rate frames/s, $files snapshots, load average $load"
  rates+=("$rate $secs $files $load")
  rm -rf "$work/out"
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
read -r rate secs files load <<<"$median"
cat <<OUT
| \`darkscope replay --interval $INTERVAL\`, telescope over $SPAN | $frames | $files | $secs | $rate | $(printf '%s; ' "${rates[@]}" | sed 's/; $//') |
OUT
