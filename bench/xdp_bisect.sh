#!/usr/bin/env bash
# Where the XDP program's in-situ cost goes: bench/xdp_live_cost.sh run on
# builds of the program with tables switched off at compile time
# (DS_BENCH_WITHOUT in bpf/darkscope.bpf.c, a bit per table group), each
# beside XDP_DROP on the same loads in the same run. A table's cost is the
# full program's ns/pkt minus the ns/pkt of the build without it; the
# build with every table off is what parsing, the summary counters and
# the sampler's checks cost.
#
# Each variant is built in a directory of its own, build-bisect/N (with
# ccache when it is installed: only the BPF object, the loader and the link
# differ from build/), configured with
# -DDARKSCOPE_BPF_BENCH_FLAGS=-DDS_BENCH_WITHOUT=N. Those binaries count
# wrongly by design and are for this benchmark only.
#
# Prints a Markdown section on stdout (progress on stderr); writes nothing
# into the repository but build-bisect/.
#
#   sudo ./bench/xdp_bisect.sh
#   sudo VARIANTS="0 2" LOADS=flood ROUNDS=5 ./bench/xdp_bisect.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# 0 full; 8 without ds_dests; 2 without ds_flows; 4 without ds_sources;
# 1 without ds_ports and ds_src_ports; 16 without ds_src_ports alone; 15
# without any keyed table.
VARIANTS=${VARIANTS:-0 8 2 4 1 15}
LOADS=${LOADS:-telescope flood}
ROUNDS=${ROUNDS:-3}
PACKETS=${PACKETS:-1000000}
FLOOD_PACKETS=${FLOOD_PACKETS:-1000000}

source deploy/common.sh
ds_require_root bench/xdp_bisect.sh "to load XDP programs, enable BPF statistics and create namespaces"
[[ -n ${NO_BUILD:-} ]] || ds_build xdp_drop_bpf_generate  # the baseline program

log() { echo "xdp_bisect: $*" >&2; }

what_is_off() {
  case $1 in
    0) echo "none (the full program)" ;;
    1) echo "ds_ports, ds_src_ports, ds_touched" ;;
    2) echo "ds_flows + index" ;;
    4) echo "ds_sources + index" ;;
    8) echo "ds_dests" ;;
    16) echo "ds_src_ports (and its ds_touched bits)" ;;
    15) echo "every keyed table (parse, counters, sampler)" ;;
    *) echo "DS_BENCH_WITHOUT=$1" ;;
  esac
}

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
rows=$(mktemp /tmp/darkscope-xdp-bisect-XXXXXX)
trap 'rm -f "$rows"' EXIT
for variant in $VARIANTS; do
  dir=build-bisect/$variant
  log "variant $variant ($(what_is_off "$variant")): building $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    -DDARKSCOPE_BPF_BENCH_FLAGS="-DDS_BENCH_WITHOUT=$variant" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target darkscope >/dev/null
  log "variant $variant: measuring"
  section=$(NO_BUILD=1 DARKSCOPE="$PWD/$dir/userspace/darkscope" LOADS="$LOADS" ROUNDS="$ROUNDS" \
    PACKETS="$PACKETS" FLOOD_PACKETS="$FLOOD_PACKETS" ./bench/xdp_live_cost.sh)
  # | load | packets | darkscope ns | XDP_DROP ns | ratio | ...
  awk -F' *\\| *' -v v="$variant" '$2 ~ /^(demo|telescope|flood)$/ { print v "\t" $2 "\t" $4 "\t" $5 }' \
    <<<"$section" >>"$rows"
done

table=$(awk -F'\t' -v names="$(for v in $VARIANTS; do printf '%s=%s;' "$v" "$(what_is_off "$v")"; done)" '
  BEGIN { n = split(names, pairs, ";"); for (i = 1; i <= n; i++) if (split(pairs[i], kv, "=") == 2) name[kv[1]] = kv[2] }
  { ds[$1, $2] = $3; drop[$1, $2] = $4; if (!(($1) in seen)) { seen[$1] = 1; order[++count] = $1 } loads[$2] = 1 }
  END {
    print "| tables switched off | load | darkscope ns/pkt | XDP_DROP ns/pkt | ratio | full program minus this build, ns/pkt |"
    print "|---|---|---|---|---|---|"
    for (i = 1; i <= count; i++) {
      v = order[i]
      for (l in loads) {
        if (!((v, l) in ds)) continue
        diff = ((0, l) in ds) && v != 0 ? sprintf("%.0f", ds[0, l] - ds[v, l]) : "-"
        printf "| %s | %s | %.0f | %.0f | %.1f | %s |\n", name[v], l, ds[v, l], drop[v, l], ds[v, l] / drop[v, l], diff
      }
    }
  }' "$rows")

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)"
cat <<OUT
## Where the in-situ cost goes (tables switched off at compile time)

- Command: \`sudo VARIANTS="$VARIANTS" LOADS="$LOADS" ROUNDS=$ROUNDS ./bench/xdp_bisect.sh\`
- Date: $(date -u +%Y-%m-%d)
- Machine: $machine

Each row is \`bench/xdp_live_cost.sh\` (medians of $ROUNDS rounds, beside
XDP_DROP on the same load) on a build of the program compiled with
\`DS_BENCH_WITHOUT\` (bpf/darkscope.bpf.c): the tables named are not
counted at all. The last column is what those tables cost a packet on that
load, measured by difference with the full program (noise: a few tens of
ns between runs on this shared machine).

$table
OUT
