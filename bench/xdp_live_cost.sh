#!/usr/bin/env bash
# The XDP program's cost per packet in situ, on live traffic, beside a bare
# XDP_DROP program on the same load in the same run.
#
# What it measures: the kernel's own statistics of the program attached to
# the sensor end of a veth pair (`sysctl kernel.bpf_stats_enabled=1`, then
# run_time_ns / run_cnt from `bpftool prog show -j` of the program the
# interface runs, before and after the load), for
#   darkscope  `darkscope run --iface IF` (XDP native, through libxdp),
#              draining every INTERVAL;
#   xdp_drop   build/bpf/xdp_drop.bpf.o attached by `xdp-loader` (libxdp
#              too), which drops every frame and does nothing else.
# The program measured is the one the interface runs: libxdp's dispatcher
# if it made one, else the program itself (on this machine both are
# attached alone).
# Unlike BPF_PROG_TEST_RUN with one frame repeated, the caches and TLB see
# what a real load does to them: new sources, destinations and flows, full
# tables.
#
# Loads, sent from the other end of the pair, each bounded:
#   demo       `darkscope gen --scenario demo --packets PACKETS` (few sources)
#   telescope  `darkscope gen --scenario telescope --packets PACKETS`
#   flood      trafgen (netsniff-ng), FLOOD_PACKETS TCP SYNs, random source
#              address (every packet a new source /24, nearly), destination
#              198.18.X.Y with X and Y random: inside the darknet only.
# For each load, ROUNDS rounds; in each round darkscope and xdp_drop take
# turns (the order alternates between rounds). The table gives the medians,
# the ratio of the medians, the capacity of one core (1e9 / ns) and the
# load average read before each measured run.
#
# How: two network namespaces joined by a veth pair, no addresses, no
# routes, IPv6 disabled, deleted on exit whatever happens; the generators
# only send on the scanner's end. kernel.bpf_stats_enabled is restored on
# exit. Prints a Markdown section on stdout (progress on stderr); writes
# nothing into the repository.
#
#   sudo ./bench/xdp_live_cost.sh
#   sudo ROUNDS=5 PACKETS=2000000 ./bench/xdp_live_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${PACKETS:-1000000}
FLOOD_PACKETS=${FLOOD_PACKETS:-1000000}
ROUNDS=${ROUNDS:-3}
INTERVAL=${INTERVAL:-10s}
LOADS=${LOADS:-demo telescope flood}
EXTRA=${EXTRA:-}  # more flags for `darkscope run`

source deploy/common.sh
ds_require_root bench/xdp_live_cost.sh "to load XDP programs, enable BPF statistics and create namespaces"
[[ -n ${NO_BUILD:-} ]] || ds_build darkscope xdp_drop_bpf_generate  # NO_BUILD=1: as built
for tool in trafgen xdp-loader bpftool jq; do
  command -v "$tool" >/dev/null || { echo "bench/xdp_live_cost.sh: $tool not found (deploy/setup.sh installs it)" >&2; exit 2; }
done
darkscope=${DARKSCOPE:-$PWD/build/userspace/darkscope}  # DARKSCOPE=: another build
drop_obj=$PWD/build/bpf/xdp_drop.bpf.o
[[ -f $drop_obj ]] || { echo "bench/xdp_live_cost.sh: $drop_obj not built" >&2; exit 2; }

sensor_ns=ds-live-sensor-$$
scanner_ns=ds-live-scanner-$$
sensor_if=dslive0
scanner_if=dslive1
work=$(mktemp -d /tmp/darkscope-xdp-live-XXXXXX)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
tool_pid=
cleanup() {
  ds_stop_process "$tool_pid"
  ip netns exec "$sensor_ns" xdp-loader unload --all "$sensor_if" >/dev/null 2>&1 || true
  ds_veth_lab_delete "$sensor_ns" "$scanner_ns"
  sysctl -qw kernel.bpf_stats_enabled="$stats_before"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "xdp_live_cost: $*" >&2; }

ds_veth_lab_create "$sensor_ns" "$scanner_ns" "$sensor_if" "$scanner_if"
sysctl -qw kernel.bpf_stats_enabled=1
log "namespaces $sensor_ns ($sensor_if) and $scanner_ns ($scanner_if); loads: $LOADS; $ROUNDS rounds"

# The flood, byte by byte: Ethernet; IPv4 with a random id, a random
# source and destination 198.18.R.R; TCP SYN to 23 from a random port with a
# random sequence number. trafgen computes both checksums.
cat >"$work/flood.cfg" <<'CFG'
{
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
  0x08, 0x00,
  0x45, 0x00, c16(40), drnd(2), 0x00, 0x00, 64, 6, csumip(14, 33),
  drnd(4),
  198, 18, drnd(), drnd(),
  drnd(2), c16(23), drnd(4), c32(0),
  0x50, 0x02, c16(65535), csumtcp(14, 34), c16(0),
}
CFG

# The program id the sensor end runs (the dispatcher when libxdp made one).
attached_prog_id() {
  ip -n "$sensor_ns" -j link show dev "$sensor_if" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // empty'
}
# run_time_ns run_cnt of program $1.
prog_stats() {
  bpftool prog show id "$1" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

send_load() {  # LOAD
  case $1 in
    demo|telescope)
      ip netns exec "$scanner_ns" "$darkscope" gen --scenario "$1" --packets "$PACKETS" \
        --send "$scanner_if" --max-time 120s >"$work/gen.out" ;;
    flood)
      ip netns exec "$scanner_ns" timeout 120 trafgen --dev "$scanner_if" --conf "$work/flood.cfg" \
        -n "$FLOOD_PACKETS" --cpus 1 -q >"$work/gen.out" 2>&1 ;;
  esac
}

results=$work/results.tsv
: >"$results"
# run_one LOAD PROGRAM ROUND: one measured run, one line in $results.
run_one() {
  local load=$1 prog=$2 round=$3 dir=$work/$2-$3
  mkdir -p "$dir/snapshots"
  case $prog in
    darkscope)
      # shellcheck disable=SC2086
      ip netns exec "$sensor_ns" "$darkscope" run --iface "$sensor_if" --prefix 198.18.0.0/15 \
        --prefix 2001:db8:d::/48 --interval "$INTERVAL" --out "$dir/snapshots" --sensor live \
        $EXTRA >"$dir/agent.log" 2>&1 &
      tool_pid=$!
      # Its start line; a warning before it may also say "attached".
      ds_wait_attached "$dir/agent.log" "$tool_pid" || { log "no agent: $(cat "$dir/agent.log")"; exit 1; } ;;
    xdp_drop)
      ip netns exec "$sensor_ns" xdp-loader load -m native "$sensor_if" "$drop_obj" >"$dir/loader.log" 2>&1 ;;
  esac
  sleep 1
  local id; id=$(attached_prog_id)
  [[ -n "$id" ]] || { log "no XDP program on $sensor_if: $(cat "$dir"/*.log)"; exit 1; }
  local load_avg; load_avg=$(cut -d' ' -f1 /proc/loadavg)
  local t0 n0 t1 n1
  read -r t0 n0 < <(prog_stats "$id")
  send_load "$load"
  read -r t1 n1 < <(prog_stats "$id")
  case $prog in
    darkscope) ds_stop_process "$tool_pid"; tool_pid= ;;
    xdp_drop) ip netns exec "$sensor_ns" xdp-loader unload --all "$sensor_if" >/dev/null ;;
  esac
  local runs=$((n1 - n0))
  ((runs > 0)) || { log "$load $prog: the program ran 0 times"; exit 1; }
  local ns; ns=$(awk -v t=$((t1 - t0)) -v n=$runs 'BEGIN { printf "%.1f", t / n }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$load" "$prog" "$round" "$ns" "$runs" "$load_avg" >>"$results"
  log "$load round $round $prog: $runs runs, $ns ns/pkt, load average $load_avg"
  rm -rf "$dir"
}

for load in $LOADS; do
  for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then order=(darkscope xdp_drop); else order=(xdp_drop darkscope); fi
    for prog in "${order[@]}"; do run_one "$load" "$prog" "$round"; done
  done
done

table=$(awk -F'\t' '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  function med(key, field,   i, a) { for (i = 1; i <= cnt[key]; i++) a[i] = v[key, field, i]; return median(a, cnt[key]) }
  {
    k = $1 SUBSEP $2; n = ++cnt[k]
    v[k, "ns", n] = $4; v[k, "runs", n] = $5; v[k, "load", n] = $6
    rounds[k] = rounds[k] (rounds[k] == "" ? "" : ", ") $4 " (" $6 ")"
    if (!($1 in seen)) { seen[$1] = 1; order[++loads] = $1 }
  }
  END {
    print "| load | packets per run | darkscope ns/pkt | XDP_DROP ns/pkt | ratio | darkscope Mpps per core | XDP_DROP Mpps per core | darkscope rounds, ns (load average) | XDP_DROP rounds, ns (load average) |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= loads; i++) {
      l = order[i]; d = l SUBSEP "darkscope"; x = l SUBSEP "xdp_drop"
      dn = med(d, "ns"); xn = med(x, "ns")
      printf "| %s | %d | %.0f | %.0f | %.1f | %.2f | %.2f | %s | %s |\n", l, med(d, "runs"), dn, xn, dn / xn,
        1e3 / dn, 1e3 / xn, rounds[d], rounds[x]
    }
  }' "$results")

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)"
cat <<OUT
## XDP program cost in situ (kernel BPF statistics, live traffic on a veth pair)

- Command: \`sudo ROUNDS=$ROUNDS PACKETS=$PACKETS FLOOD_PACKETS=$FLOOD_PACKETS INTERVAL=$INTERVAL${EXTRA:+ EXTRA="$EXTRA"} ./bench/xdp_live_cost.sh\`
- Date: $(date -u +%Y-%m-%d)
- Machine: $machine

\`kernel.bpf_stats_enabled=1\`; run_time_ns / run_cnt of the program the
sensor end runs (\`xdp_count_darknet\` attached by \`darkscope run --interval
$INTERVAL\`, or the bare XDP_DROP program attached by \`xdp-loader\`; libxdp
attaches both alone here, without its dispatcher), over one load sent from
the other end. Loads: \`darkscope gen
--scenario demo|telescope --packets $PACKETS --send IF\`, and a trafgen flood
of $FLOOD_PACKETS TCP SYNs with random source addresses (nearly every
packet a new source /24) to 198.18.R.R. darkscope and XDP_DROP take turns in
each round; medians of $ROUNDS rounds; Mpps per core = 1e3 / ns per packet.
The load average (1 min) before each run is in parentheses: the machine is
shared with builds.

$table
OUT
