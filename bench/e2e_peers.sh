#!/usr/bin/env bash
# End-to-end cost and completeness of darkscope next to its peers, on a veth
# pair of this machine only.
#
# What it measures: the same load, the built-in `demo` scenario sent with
# `darkscope gen --scenario demo --packets N --send IF` as fast as the
# machine allows (no --rate), is sent from one end of a veth pair while the
# other end runs, one after another:
#   baseline  nothing listening (the sender alone);
#   darkscope `darkscope run` (XDP) on the sensor end, --interval INTERVAL;
#   pmacctd   Debian pmacct, memory plugin, aggregate src_net (/24 via
#             networks_mask 24 + src_mask), dst_port, proto; totals read back
#             with the `pmacct` client;
#   tcpdump   `tcpdump -i IF -w /dev/null`.
# For each: frames sent (gen's own line), frames the tool saw (darkscope: sum
# of packets_seen over its snapshots; pmacctd: sum of PACKETS in its memory
# table; tcpdump: "packets captured"; baseline: the sensor end's rx_packets),
# the tool's process CPU (utime+stime from /proc/PID/stat, pmacctd's core and
# plugin processes summed) and the whole machine's CPU (user+nice+system+irq+
# softirq from /proc/stat; XDP runs in softirq, outside the agent's process),
# both per million frames sent. The machine-wide window runs from just
# before gen starts to SETTLE seconds after it ends (so that tools catch up),
# and excludes each tool's start-up (BPF verification, pcap open) and the
# reading back of its results. On a shared machine other work lands in the
# machine-wide figure: the busy CPU of the machine with nothing of ours
# running is sampled for 1 s before each run and printed, and the column
# "net of idle" subtracts it (rate x window).
# The four configurations run one after another, their order rotated each
# round; ROUNDS rounds; the table gives medians. It prints a Markdown table
# on stdout (progress goes to stderr) and writes nothing into the repository.
#
# How: two network namespaces joined by a veth pair, no addresses, no
# routes, IPv6 disabled, deleted on exit whatever happens; gen only sends on
# the scanner's end of that pair.
#
#   sudo ./bench/e2e_peers.sh                     # 1,000,000 frames, 3 rounds
#   sudo PACKETS=500000 ROUNDS=5 INTERVAL=1s ./bench/e2e_peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${PACKETS:-1000000}
ROUNDS=${ROUNDS:-3}
INTERVAL=${INTERVAL:-2s}
SETTLE=${SETTLE:-2}

source deploy/common.sh
ds_require_root bench/e2e_peers.sh "to load XDP programs, capture and create namespaces"
ds_build darkscope
for tool in pmacctd pmacct tcpdump; do
  command -v "$tool" >/dev/null || { echo "bench/e2e_peers.sh: $tool not found (deploy/setup.sh installs it)" >&2; exit 2; }
done
darkscope=$PWD/build/userspace/darkscope

sensor_ns=ds-e2e-sensor-$$
scanner_ns=ds-e2e-scanner-$$
sensor_if=dse2e0
scanner_if=dse2e1
work=$(mktemp -d /tmp/darkscope-e2e-peers-XXXXXX)
tool_pid=
cleanup() {
  ds_stop_process "$tool_pid"
  ds_veth_lab_delete "$sensor_ns" "$scanner_ns"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "e2e_peers: $*" >&2; }

ds_veth_lab_create "$sensor_ns" "$scanner_ns" "$sensor_if" "$scanner_if"
log "namespaces $sensor_ns ($sensor_if) and $scanner_ns ($scanner_if); $PACKETS frames, $ROUNDS rounds"

hz=$(getconf CLK_TCK)
# Busy ticks of the whole machine: user + nice + system + irq + softirq.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# utime + stime of the given processes (all their threads), in ticks; the
# command name in field 2 may hold spaces, so count fields after its ')'.
process_ticks() {
  local total=0 pid t
  for pid in "$@"; do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
rx_packets() { ip netns exec "$sensor_ns" cat "/sys/class/net/$sensor_if/statistics/rx_packets"; }
stop() {  # stop SIGNAL PID [CHILD...]: signal PID, wait for it and its children
  local sig=$1 pid=$2; shift 2
  kill "-$sig" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for child in "$@"; do
    for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  done
  tool_pid=
}

write_pmacct_conf() {
  # Sized so that the table never fills and the core-to-plugin queue follows
  # CONFIG-KEYS' advice (buffer:pipe 1:1000). With the defaults (16 pools of
  # 8 KiB, no plugin buffer) the table fills after a few thousand entries
  # ("Unable to allocate more memory pools") and the queue loses data
  # ("Missing data detected") even at 80k frames/s.
  cat >"$1" <<CONF
daemonize: false
pcap_interface: $sensor_if
promisc: true
plugins: memory
aggregate: src_net, src_mask, dst_port, proto
networks_mask: 24
imt_path: $2
imt_buckets: 262147
imt_mem_pools_number: 8192
imt_mem_pools_size: 65536
plugin_pipe_size: 10240000
plugin_buffer_size: 10240
CONF
}

results=$work/results.tsv
: >"$results"
# run_one CONFIG ROUND: one measured run, one line appended to $results:
# config round sent seconds rate seen tool_ticks machine_ticks idle_ticks window_s detail
run_one() {
  local config=$1 round=$2 dir=$work/$1-$2 children=() detail=-
  mkdir -p "$dir"
  local i0 i1; i0=$(machine_ticks); sleep 1; i1=$(machine_ticks)
  local idle_rate=$((i1 - i0))  # busy ticks per second with nothing of ours running
  case $config in
    baseline) ;;
    darkscope)
      mkdir -p "$dir/snapshots"
      ip netns exec "$sensor_ns" "$darkscope" run --iface "$sensor_if" --prefix 198.18.0.0/15 \
        --interval "$INTERVAL" --out "$dir/snapshots" --sensor e2e >"$dir/agent.log" 2>&1 &
      tool_pid=$!
      ds_wait_attached "$dir/agent.log" "$tool_pid"
      detail="xdp_mode=$(sed -n 's/.* in \([a-z]*\) mode.*/\1/p' "$dir/agent.log" | head -1)" ;;
    pmacctd)
      write_pmacct_conf "$dir/pmacctd.conf" "$dir/pmacct.pipe"
      ip netns exec "$sensor_ns" pmacctd -f "$dir/pmacctd.conf" >"$dir/pmacctd.log" 2>&1 &
      tool_pid=$!
      ds_wait_for "$dir/pmacctd.log" "waiting for data" "$tool_pid"
      for _ in $(seq 50); do [[ -S $dir/pmacct.pipe ]] && break; sleep 0.1; done
      mapfile -t children < <(pgrep -P "$tool_pid") ;;
    tcpdump)
      ip netns exec "$sensor_ns" tcpdump -i "$sensor_if" -w /dev/null 2>"$dir/tcpdump.log" &
      tool_pid=$!
      ds_wait_for "$dir/tcpdump.log" "listening on" "$tool_pid" ;;
  esac
  sleep 1

  local t0=0 t1=0 c0 c1 r0 r1 w0 w1
  [[ -n "$tool_pid" ]] && t0=$(process_ticks "$tool_pid" "${children[@]}")
  r0=$(rx_packets); w0=$(date +%s.%N); c0=$(machine_ticks)
  ip netns exec "$scanner_ns" "$darkscope" gen --scenario demo --packets "$PACKETS" \
    --send "$scanner_if" --max-time 30s >"$dir/gen.out"
  sleep "$SETTLE"
  c1=$(machine_ticks); w1=$(date +%s.%N); r1=$(rx_packets)
  [[ -n "$tool_pid" ]] && t1=$(process_ticks "$tool_pid" "${children[@]}")

  local sent secs rate seen
  read -r sent secs rate < <(sed -n \
    's/.*; sent \([0-9]*\) on .* in \([0-9.]*\) s (\([0-9]*\) frames\/s).*/\1 \2 \3/p' "$dir/gen.out")
  [[ -n "$sent" ]] || { log "cannot parse gen's output: $(cat "$dir/gen.out")"; exit 1; }
  case $config in
    baseline) seen=$((r1 - r0)) ;;
    darkscope)
      stop TERM "$tool_pid"
      seen=$("$darkscope" cat --format csv --table summary "$dir/snapshots" | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == "table" { next }
        { s += $col["packets_seen"] } END { print s + 0 }')
      detail="$detail $("$darkscope" cat --format csv --table summary "$dir/snapshots" | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == "table" { next }
        { n++; d += $col["drain_microseconds"]; if ($col["drain_microseconds"] > m) m = $col["drain_microseconds"] }
        END { printf "snapshots=%d drain_ms_mean=%.0f drain_ms_max=%.0f", n, n ? d / n / 1000 : 0, m / 1000 }')" ;;
    pmacctd)
      seen=$(pmacct -p "$dir/pmacct.pipe" -s -O csv | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { s += $col["PACKETS"] } END { print s + 0 }')
      stop INT "$tool_pid" "${children[@]}"
      local pcap_drops missing
      pcap_drops=$(sed -n 's/.*received_packets=[0-9]* dropped_packets=\([0-9]*\).*/\1/p' "$dir/pmacctd.log" | tail -1)
      missing=$(grep -ac 'Missing data detected' "$dir/pmacctd.log" || true)
      detail="pcap_drops=${pcap_drops:-?} queue_loss_warnings=$missing" ;;
    tcpdump)
      stop INT "$tool_pid"
      seen=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$dir/tcpdump.log")
      detail="kernel_drops=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$dir/tcpdump.log")" ;;
  esac
  local window; window=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", b - a }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$round" "$sent" "$secs" "$rate" \
    "$seen" "$((t1 - t0))" "$((c1 - c0))" "$idle_rate" "$window" "$((r1 - r0))" "$detail" >>"$results"
  log "round $round $config: sent $sent in $secs s ($rate/s), seen $seen, rx $((r1 - r0)), tool $((t1 - t0)) ticks, machine $((c1 - c0)) ticks in $window s (idle $idle_rate ticks/s), $detail"
  rm -rf "$dir"
}

configs=(baseline darkscope pmacctd tcpdump)
for round in $(seq "$ROUNDS"); do
  for k in 0 1 2 3; do
    run_one "${configs[$(((k + round - 1) % 4))]}" "$round"
  done
done

# Medians per configuration, then the table.
awk -F'\t' -v hz="$hz" -v interval="$INTERVAL" -v rounds="$ROUNDS" '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  function med(cfg, m,   i, a) { for (i = 1; i <= cnt[cfg]; i++) a[i] = v[cfg, m, i]; return median(a, cnt[cfg]) }
  {
    c = $1; n = ++cnt[c]; m = $3 / 1e6
    v[c, "sent", n] = $3; v[c, "rate", n] = $5; v[c, "seen", n] = $6; v[c, "frac", n] = $6 / $3
    v[c, "tool", n] = $7 / hz / m; v[c, "machine", n] = $8 / hz / m
    v[c, "net", n] = ($8 - $9 * $10) / hz / m; v[c, "idle", n] = $9 / hz
    nd = split($12, kv, / /)
    for (i = 1; i <= nd; i++) if (split(kv[i], d, /=/) == 2) { if (d[2] ~ /^[0-9.]+$/) v[c, d[1], n] = d[2]; else word[c, d[1]] = d[2] }
  }
  END {
    base = med("baseline", "machine"); basenet = med("baseline", "net")
    print "| configuration | frames sent | send rate, frames/s | frames seen | seen/sent | tool process CPU s / M frames | machine CPU s / M frames | extra over baseline | net of idle | extra over baseline, net |"
    print "|---|---|---|---|---|---|---|---|---|---|"
    split("baseline darkscope pmacctd tcpdump", order, " ")
    name["baseline"] = "baseline (nothing listening; seen = rx_packets)"
    name["darkscope"] = "darkscope run (XDP " word["darkscope", "xdp_mode"] ", " interval " intervals)"
    name["pmacctd"] = "pmacctd (memory plugin)"
    name["tcpdump"] = "tcpdump -w /dev/null"
    for (k = 1; k <= 4; k++) {
      c = order[k]; if (!cnt[c]) continue
      tool = c == "baseline" ? "-" : sprintf("%.2f", med(c, "tool"))
      extra = c == "baseline" ? "-" : sprintf("%+.2f", med(c, "machine") - base)
      extranet = c == "baseline" ? "-" : sprintf("%+.2f", med(c, "net") - basenet)
      printf "| %s | %d | %d | %d | %.4f | %s | %.2f | %s | %.2f | %s |\n", name[c], med(c, "sent"), med(c, "rate"),
        med(c, "seen"), med(c, "frac"), tool, med(c, "machine"), extra, med(c, "net"), extranet
    }
    print ""
    printf "Medians of %d rounds. Where frames are lost: pmacctd, %d dropped by the kernel before libpcap read them (pcap stats), the rest of its shortfall in its core-to-plugin queue (%d \"Missing data detected\" warnings) or in the last plugin buffer, never flushed while it runs (at most about 500 frames); tcpdump, %d dropped by the kernel. darkscope: %d snapshots per run, drain %.0f ms mean, %.0f ms max (drain_microseconds). Machine busy with nothing of ours running (other work on the machine): %.2f CPU-s per s.\n",
      rounds, med("pmacctd", "pcap_drops"), med("pmacctd", "queue_loss_warnings"), med("tcpdump", "kernel_drops"),
      med("darkscope", "snapshots"), med("darkscope", "drain_ms_mean"), med("darkscope", "drain_ms_max"), med("baseline", "idle")
  }' "$results" >"$work/table.md"

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)"
cat <<OUT
## End to end on a veth pair: darkscope, pmacctd, tcpdump

- Command: \`sudo PACKETS=$PACKETS ROUNDS=$ROUNDS INTERVAL=$INTERVAL ./bench/e2e_peers.sh\`
- Date: $(date -u +%Y-%m-%d)
- Machine: $machine; pmacctd $(pmacctd -V 2>&1 | sed -n 's/.*pmacctd \([^ ]*\).*/\1/p' | head -1), $(tcpdump --version 2>&1 | head -1)

Load: \`darkscope gen --scenario demo --packets $PACKETS --send IF\`, no
--rate, from the other end of the veth pair. CPU in seconds per million
frames sent; "machine" is user+nice+system+irq+softirq of /proc/stat from
gen's start to ${SETTLE} s after it ends; "net of idle" subtracts the busy
rate sampled for 1 s before each run with nothing of ours running.

$(cat "$work/table.md")
OUT
