#!/usr/bin/env bash
# Checks the shipped alert rules with promtool (Debian's prometheus
# package, deploy/setup.sh): `promtool check rules` on the rules, then
# `promtool test rules` on darkscope-alerts_test.yml, which fires each
# alert on synthetic series. ctest: prometheus_rules_test.
#
#   deploy/prometheus/rules_test.sh
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
command -v promtool >/dev/null ||
  { echo "rules_test: promtool not found (apt-get install prometheus)" >&2; exit 1; }
promtool check rules "$dir/darkscope-alerts.yml"
# promtool resolves rule_files relative to the test file.
promtool test rules "$dir/darkscope-alerts_test.yml"
