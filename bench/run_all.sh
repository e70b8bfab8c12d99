#!/usr/bin/env bash
# Runs darkscope's benchmarks and rewrites bench/RESULTS.md with their
# figures, the command that produced each, the date and the machine.
# Needs root (BPF_PROG_TEST_RUN).
set -euo pipefail
cd "$(dirname "$0")/.."

source deploy/common.sh
ds_require_root bench/run_all.sh "to load XDP programs"
ds_build xdp_cost xdp_mix_cost drain_cost userspace_bench report_scale

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), \
$(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r), \
clang $(clang --version | sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -1)"
date=$(date -u +%Y-%m-%d)
xdp_cost=$(./build/bench/xdp_cost --rounds 15 --repeat 1000000)
xdp_mix_cost=$(./build/bench/xdp_mix_cost --frames 1000000)
userspace=$(./build/bench/userspace_bench --benchmark_min_time=0.2 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median|^Benchmark|^---")
xdp_live_cost=$(ROUNDS=3 ./bench/xdp_live_cost.sh 2>/dev/null)
xdp_bisect=$(NO_BUILD=1 ROUNDS=3 ./bench/xdp_bisect.sh 2>/dev/null)
e2e_peers=$(PACKETS=2000000 ROUNDS=3 ./bench/e2e_peers.sh 2>/dev/null)
sample_path=$(PACKETS=1000000 ROUNDS=5 ./bench/sample_path.sh 2>/dev/null)
replay_rate=$(ROUNDS=3 ./bench/replay_rate.sh 2>/dev/null)
drain_dir=$(mktemp -d -p build drain-cost-XXXXXX)
drain_cost=$(./build/bench/drain_cost --rounds 5 --dir "$drain_dir")
rm -rf "$drain_dir"
# A quarter of 1-minute snapshots takes about 40 minutes to synthesise and
# roll up; REPORT_SCALE_DAYS=7 gives a quicker, smaller figure.
report_scale_days=${REPORT_SCALE_DAYS:-90}
report_scale=$(./build/bench/report_scale --days "$report_scale_days" --rounds 3 2>/dev/null)
# The export's sensor-day; EXPORT_QUARTER_DAYS=90 adds report_scale's /16
# quarter exported and reported from ClickHouse (hours, not minutes).
export_quarter_days=${EXPORT_QUARTER_DAYS:-0}
export_cost=$(./bench/export_cost.sh build 3 200000 "$export_quarter_days" 1 2>/dev/null)

cat > bench/RESULTS.md <<RESULTS
# Benchmark results

Rewritten by \`sudo ./bench/run_all.sh\`. Every figure is a median of
alternating rounds measured side by side in one run; absolute times on a
shared machine are noise, ratios are the figure to read.

## XDP program cost (BPF_PROG_TEST_RUN)

- Command: \`sudo ./build/bench/xdp_cost --rounds 15 --repeat 1000000\`
- Date: ${date}
- Machine: ${machine}

Each round runs each program on the same frame 1,000,000 times; the kernel
reports the mean per run; the table gives the median over 15 rounds.
"shared" and "per-CPU" are the two layouts of ds_sources, ds_dests and
ds_flows (docs/maps.md). One frame repeated is the warm-cache case: every
lookup hits.

${xdp_cost}

## XDP program cost on a realistic mix

- Command: \`sudo ./build/bench/xdp_mix_cost --frames 1000000\`
- Date: ${date}
- Machine: ${machine}

A million frames of a mix with about 550,000 source /24s (Mirai-type, SYN
scans, ZMap, a wide scanner, backscatter, reflection, ICMP, traffic outside
the darknet), each run once through each program (BPF_PROG_TEST_RUN,
repeat 1), the three programs taking turns in chunks of 10,000 frames; the
kernel's time per run, averaged. Pass 1 starts from empty maps, so every
new source, destination and flow is inserted; pass 2 runs the same frames
with every key in place. One syscall per frame leaves caches and TLB cold
for each frame: these are upper bounds, dominated on this paravirtualised
VM by misses across the maps' memory (perf shows the program itself at a
few percent of the time); the warm single-frame figures above are the
lower bounds.

${xdp_mix_cost}

${xdp_live_cost}

${xdp_bisect}

${e2e_peers}

${sample_path}

## Replay rate

- Command: \`sudo ROUNDS=3 ./bench/replay_rate.sh\`
- Date: ${date}
- Machine: ${machine}

\`darkscope replay\` of the telescope scenario (200,000 frames over a day) at
60 s intervals: 1,440 snapshots. Median of 3 runs.

| replay | frames | snapshots | seconds | frames/s | runs (frames/s seconds snapshots load average) |
|---|---|---|---|---|---|
${replay_rate}

## Drain at an interval boundary, tables full

- Command: \`sudo ./build/bench/drain_cost --rounds 5 --dir DIR\` (DIR on the
  build directory's disk, ext4 here)
- Date: ${date}
- Machine: ${machine}

Every table filled to its bound before each round (batch updates from
userspace): 131,840 ports and 131,072 source ports with counts on every CPU,
262,144 source /24s, 65,536 destination /24s, 1,048,576 flows. The agent
does flip + swap + read + recycle in its interval loop; encode and write
happen on the writer thread. The io_uring write and the write(2)+fsync(2)
baseline write the same bytes in each round, taking turns at going first.

${drain_cost}

## Reports over a quarter

- Command: \`./build/bench/report_scale --days ${report_scale_days} --rounds 3\`
- Date: ${date}
- Machine: ${machine}

A /16 darknet's 1-minute snapshots, synthesised: 200,000 source /24s with
Zipf-like activity, 800 of them active each minute with 1 to 4 (protocol,
port) pairs. \`darkscope rollup\`'s code rolls them up once; the same day is
reported from the interval files and from the hourly roll-ups in
alternating rounds; the whole period from the daily roll-ups (their
\`port_hours\` tables give the hour-of-day profiles). Each report also
loads its previous period and the months a year before (empty here), and
reads its files on every CPU.

${report_scale}

## Export into ClickHouse

- Command: \`sudo ./bench/export_cost.sh build 3 200000 ${export_quarter_days} 1\`
- Date: ${date}
- Machine: ${machine}

One sensor-day of the telescope scenario exported 3 times into a
ClickHouse server of the benchmark's own (127.0.0.1, a free port, data in
a temporary directory): median seconds, rows per second, seconds per
sensor-day; with a nonzero quarter, report_scale's /16 exported and
reported from ClickHouse beside its roll-up files.

\`\`\`
${export_cost}
\`\`\`

## Userspace hot paths (Google Benchmark)

- Command: \`./build/bench/userspace_bench --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true\`
- Date: ${date}
- Machine: ${machine}

AddCounts merges snapshots as reports do; encode/decode of snapshots of a
/24-like, /16-like and full-bound interval; a day of 1,440 one-minute
snapshots of a /24 listed, read, decoded and merged. Medians of 3.

\`\`\`
${userspace}
\`\`\`
RESULTS
echo "bench/run_all.sh: wrote bench/RESULTS.md"
