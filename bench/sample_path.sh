#!/usr/bin/env bash
# Throughput of the sample path (XDP -> XSKMAP -> AF_XDP copy mode -> pcapng
# through io_uring) at 100 % sampling, side by side with the counters-only
# path, on a veth pair of this machine only.
#
# Each round runs both configurations of `darkscope run` on the sensor end,
# in alternating order, while `darkscope gen --scenario demo --packets N
# --send IF` sends as fast as it can from the other end:
#   counters  no sampling (the default);
#   sample    --sample-rate 1 --sample-pps 0 --sample-max-bytes 4 GiB: every
#             darknet packet is redirected to its rx queue's AF_XDP socket
#             and written to that interval's pcapng file.
# For each run: frames sent and gen's rate; darknet packets counted; frames
# redirected (sample_redirected); frames written to pcapng
# (sample_frames_written) and their rate over gen's send time; ring drops
# (the sockets' rx_ring_full + rx_dropped), fill-ring-empty events; the
# agent's CPU seconds per million frames. ROUNDS rounds, medians. Prints a
# Markdown section on stdout (progress on stderr), writes nothing into the
# repository.
#
# Namespaces, veth pair with QUEUES rx/tx queues each end, no addresses,
# no routes, IPv6 off; deleted on exit whatever happens.
#
#   sudo ./bench/sample_path.sh                    # 1,000,000 frames, 5 rounds
#   sudo PACKETS=500000 ROUNDS=3 QUEUES=2 ./bench/sample_path.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${PACKETS:-1000000}
ROUNDS=${ROUNDS:-5}
QUEUES=${QUEUES:-4}
INTERVAL=${INTERVAL:-2s}
SETTLE=${SETTLE:-2}
EXTRA=${EXTRA:-}  # more flags for the sample configuration (e.g. --sample-cpus 1,1,1,1)
RATE=${RATE:-0}  # gen --rate: frames per second, 0 as fast as it can
GEN_CPU=${GEN_CPU:-}  # pin the sender (and the softirq that runs XDP) to this CPU
AGENT_CPU=${AGENT_CPU:-}  # start the agent on this CPU (its drain stays there;
                          # --sample-cpus moves the sampler threads)

source deploy/common.sh
ds_require_root bench/sample_path.sh "to load XDP programs and create namespaces"
ds_build darkscope
darkscope=$PWD/build/userspace/darkscope

sensor_ns=ds-smp-sensor-$$
scanner_ns=ds-smp-scanner-$$
sensor_if=dssmp0
scanner_if=dssmp1
work=$(mktemp -d /tmp/darkscope-sample-path-XXXXXX)
agent_pid=
cleanup() {
  ds_stop_process "$agent_pid"
  ds_veth_lab_delete "$sensor_ns" "$scanner_ns"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "sample_path: $*" >&2; }

ds_veth_lab_create "$sensor_ns" "$scanner_ns" "$sensor_if" "$scanner_if" "$QUEUES"
log "veth $sensor_if/$scanner_if with $QUEUES queues; $PACKETS frames, $ROUNDS rounds"

hz=$(getconf CLK_TCK)
agent_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# Sum of summary columns over the snapshots of a directory: sum_columns DIR COL...
sum_columns() {
  local dir=$1; shift
  "$darkscope" cat --format csv --table summary "$dir" | awk -F, -v want="$*" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "table" { next }
    { n = split(want, w, " "); for (k = 1; k <= n; k++) s[k] += $col[w[k]] }
    END { n = split(want, w, " "); for (k = 1; k <= n; k++) printf "%d ", s[k]; print "" }'
}

results=$work/results.tsv
: >"$results"
# run_one CONFIG ROUND: appends
# config sent secs rate darknet redirected written ring_drops fill_empty over_cap agent_ticks busy_compilers
run_one() {
  local config=$1 round=$2 dir=$work/$1-$2 flags=()
  mkdir -p "$dir/out"
  [[ $config == sample ]] && flags=(--sample-rate 1 --sample-pps 0 --sample-max-bytes 4294967296 $EXTRA)
  local agent_pin=()
  [[ -n "$AGENT_CPU" ]] && agent_pin=(taskset -c "$AGENT_CPU")
  ip netns exec "$sensor_ns" "${agent_pin[@]}" "$darkscope" run --iface "$sensor_if" --prefix 198.18.0.0/15 \
    --interval "$INTERVAL" --out "$dir/out" --sensor bench "${flags[@]}" >"$dir/agent.log" 2>&1 &
  agent_pid=$!
  ds_wait_attached "$dir/agent.log" "$agent_pid" || exit 1
  if [[ $config == sample ]]; then
    log "$(grep sampling "$dir/agent.log")"
    xsk_mode=$(sed -n 's/.* in \([a-z-]*\) mode: 1 in.*/\1/p' "$dir/agent.log")
  fi
  sleep 1
  # Other compilers on the machine (the other engineers' builds).
  local busy; busy=$(pgrep -c 'cc1plus|clang' || true)
  local t0 t1; t0=$(agent_ticks "$agent_pid")
  local pin=()
  [[ -n "$GEN_CPU" ]] && pin=(taskset -c "$GEN_CPU")
  ip netns exec "$scanner_ns" "${pin[@]}" "$darkscope" gen --scenario demo --packets "$PACKETS" \
    --rate "$RATE" --send "$scanner_if" --max-time 30s >"$dir/gen.out"
  sleep "$SETTLE"
  t1=$(agent_ticks "$agent_pid")
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
  local sent secs rate
  read -r sent secs rate < <(sed -n \
    's/.*; sent \([0-9]*\) on .* in \([0-9.]*\) s (\([0-9]*\) frames\/s).*/\1 \2 \3/p' "$dir/gen.out")
  [[ -n "$sent" ]] || { log "cannot parse gen's output: $(cat "$dir/gen.out")"; exit 1; }
  local darknet redirected written full dropped fill over
  if [[ $config == sample ]]; then
    read -r darknet redirected written full dropped fill over < <(sum_columns "$dir/out" \
      darknet_packets sample_redirected sample_frames_written sample_rx_ring_full \
      sample_rx_dropped sample_fill_ring_empty sample_frames_over_cap)
  else
    read -r darknet < <(sum_columns "$dir/out" darknet_packets)
    redirected=0 written=0 full=0 dropped=0 fill=0 over=0
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$sent" "$secs" "$rate" \
    "$darknet" "$redirected" "$written" "$((full + dropped))" "$fill" "$over" "$((t1 - t0))" \
    "$busy" >>"$results"
  log "round $round $config: sent $sent in $secs s ($rate/s), darknet $darknet, redirected $redirected, written $written, ring drops $((full + dropped)), fill empty $fill, agent $((t1 - t0)) ticks, other compilers $busy"
  rm -rf "$dir"
}

configs=(counters sample)
for round in $(seq "$ROUNDS"); do
  for k in 0 1; do run_one "${configs[$(((k + round) % 2))]}" "$round"; done
done

table=$(awk -F'\t' -v hz="$hz" '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  function med(c, m,   i, a) { for (i = 1; i <= cnt[c]; i++) a[i] = v[c, m, i]; return median(a, cnt[c]) }
  {
    c = $1; n = ++cnt[c]
    v[c, "sent", n] = $2; v[c, "rate", n] = $4; v[c, "darknet", n] = $5; v[c, "redirected", n] = $6
    v[c, "written", n] = $7; v[c, "wrate", n] = $7 / $3; v[c, "drops", n] = $8; v[c, "fill", n] = $9
    v[c, "over", n] = $10; v[c, "cpu", n] = $11 / hz / ($2 / 1e6); v[c, "busy", n] = $12
    v[c, "share", n] = $5 ? $7 / $5 : 0
  }
  END {
    print "| path | frames sent | send rate, frames/s | darknet packets counted | redirected to AF_XDP | frames written to pcapng | written / darknet | written frames/s | ring drops | fill ring empty | over cap | agent CPU s / M frames |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|"
    split("counters sample", order, " ")
    name["counters"] = "counters only"; name["sample"] = "sample, 100 %"
    for (k = 1; k <= 2; k++) {
      c = order[k]
      printf "| %s | %d | %d | %d | %d | %d | %.4f | %d | %d | %d | %d | %.2f |\n", name[c], med(c, "sent"),
        med(c, "rate"), med(c, "darknet"), med(c, "redirected"), med(c, "written"), med(c, "share"),
        med(c, "wrate"), med(c, "drops"), med(c, "fill"), med(c, "over"), med(c, "cpu")
    }
    printf "\nMedians of %d rounds per path. Send rate ratio (sample / counters): %.2f. Other compilers running at the start of a run (median): %d.\n",
      cnt["sample"], med("sample", "rate") / med("counters", "rate"), med("sample", "busy")
  }' "$results")

rate_note=
[[ $RATE != 0 ]] && rate_note=" RATE=$RATE"
cat <<OUT
## Sample path at 100 % on a veth pair, beside the counters-only path

- Command: \`sudo PACKETS=$PACKETS ROUNDS=$ROUNDS QUEUES=$QUEUES INTERVAL=$INTERVAL${rate_note}${GEN_CPU:+ GEN_CPU=$GEN_CPU}${AGENT_CPU:+ AGENT_CPU=$AGENT_CPU}${EXTRA:+ EXTRA=\"$EXTRA\"} ./bench/sample_path.sh\`
- Date: $(date -u +%Y-%m-%d)
- Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r); AF_XDP mode: ${xsk_mode:-?}; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)

Load: \`darkscope gen --scenario demo --packets $PACKETS --rate $RATE --send IF\`
(rate 0: as fast as it can), from the other end of a veth pair with $QUEUES rx queues. "Written
frames/s" is frames in the pcapng files over gen's send time; ring drops
are the sockets' rx_ring_full + rx_dropped (XDP_STATISTICS). On veth the
receiver's XDP program, the copy into the UMEM (copy mode) and the socket
wake-ups run in the sender's softirq, on the sender's CPU: the sample
path's kernel cost shows as a lower send rate, its userspace cost as the
agent's CPU.

$table
OUT
