#!/usr/bin/env bash
# The README's first command, deploy/demo.sh, run on the darkscope binary
# under test (root: namespaces and XDP). The demo checks itself that every
# frame the generator sent was counted; this test also checks that it
# printed its report. Exit 77 (skip) without root unless
# DARKSCOPE_REQUIRE_PRIVILEGED=1.
set -euo pipefail
source_dir=$1 binary=$2

if [[ $(id -u) -ne 0 ]]; then
  if [[ ${DARKSCOPE_REQUIRE_PRIVILEGED:-0} == 1 ]]; then
    echo "demo_test: needs root (namespaces, XDP)" >&2
    exit 1
  fi
  echo "demo_test: skipped: needs root" >&2
  exit 77
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
DARKSCOPE_BINARY=$binary "$source_dir/deploy/demo.sh" >"$out" 2>&1 || {
  cat "$out"
  echo "demo_test: deploy/demo.sh failed" >&2
  exit 1
}
cat "$out"
for want in "packets seen 30000," "== top 10 destination ports" "== top 10 source networks"; do
  grep -qF -- "$want" "$out" || { echo "demo_test: no '$want' in the demo's output" >&2; exit 1; }
done
echo "demo_test: passed"
