#!/usr/bin/env bash
# Writes darkscope(1) from the CLI's own --help and --version with
# help2man (Debian's help2man, deploy/setup.sh): the synopsis and command
# list from `darkscope --help`, then one section per command from
# `darkscope CMD --help`, so the page never says anything the binary does
# not. Run at build time (CMake target darkscope_man); gzipped for the .deb.
#
#   deploy/debian/manpage.sh BINARY OUT.1
set -euo pipefail
bin=${1:?usage: manpage.sh BINARY OUT.1}
out=${2:?usage: manpage.sh BINARY OUT.1}
command -v help2man >/dev/null ||
  { echo "manpage.sh: help2man not found (apt-get install help2man)" >&2; exit 1; }
include=$(mktemp /tmp/darkscope-man-XXXXXX)
trap 'rm -f "$include"' EXIT
# The commands are the indented words under "commands:" in --help.
mapfile -t commands < <("$bin" --help | awk '/^commands:/ {on = 1; next}
  on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
[[ ${#commands[@]} -gt 0 ]] || { echo "manpage.sh: no commands in $bin --help" >&2; exit 1; }
{
  echo "[COMMANDS]"
  for cmd in "${commands[@]}"; do
    [[ $cmd == help || $cmd == version ]] && continue
    echo ".SS darkscope $cmd"
    echo ".nf"
    # roff: a leading dot or quote would be a request; backslashes escape.
    "$bin" "$cmd" --help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    echo ".fi"
  done
  echo "[FILES]"
  echo "/etc/darkscope/darkscope.conf: the sensor's settings (\`darkscope run --config\`)."
  echo ".br"
  echo "/var/lib/darkscope: snapshots; hourly/ and daily/ roll-ups."
  echo ".br"
  echo "/usr/share/darkscope: Prometheus alert rules and the Grafana dashboard."
  echo "[SEE ALSO]"
  echo "/usr/share/doc/darkscope/ (operations.md, reports.md, scenarios.md, enrichment.md, clickhouse.md)"
} >"$include"
help2man --no-info --no-discard-stderr --section 1 \
  --name "darknet (network telescope) sensor: XDP counters, snapshots, reports" \
  --include "$include" --output "$out" "$bin"
