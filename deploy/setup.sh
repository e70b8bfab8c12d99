#!/usr/bin/env bash
# Installs every Debian 12 package that darkscope's build, tests, benchmarks
# and demo need. Idempotent and non-interactive; run as root on a fresh
# machine. Packages already present are left alone.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang llvm bpftool clang-format git
  # libraries
  libbpf-dev libxdp-dev liburing-dev libabsl-dev libzstd-dev zlib1g-dev
  libpcap-dev libmaxminddb-dev libcsv-dev nlohmann-json3-dev
  # operations: HTTP server, capabilities, the seccomp filter; promtool
  # checks /metrics and the alert rules; dpkg-dev and systemd
  # (systemd-analyze) build and check the .deb, help2man writes its man page
  libcivetweb-dev libcap-dev libseccomp-dev prometheus dpkg-dev systemd help2man
  # the report's names: services (/etc/services) and ISO 3166 country names
  # with their translations (--lang ja)
  netbase iso-codes
  # enrich_test writes small GeoLite2 mmdb files (tests/make_geolite2.pl)
  libmaxmind-db-writer-perl
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # the HTML report's test opens it in a headless browser, reads the screenshot
  chromium libpng-dev
  # network namespaces, veth, XDP inspection
  iproute2 xdp-tools linux-libc-dev
  # peers the end-to-end benchmark measures darkscope against
  pmacct tcpdump
  # trafgen: the random-source SYN flood of bench/xdp_live_cost.sh
  netsniff-ng
  # reads the sampled pcapng files in the sample path's end-to-end test
  tshark
  # the ClickHouse export (docs/clickhouse.md): its HTTP client, and the
  # servers its tests and demo start on 127.0.0.1 (never at boot)
  libcurl4-openssl-dev clickhouse-server clickhouse-client zookeeper
)

if [[ $(id -u) -ne 0 ]]; then
  echo "deploy/setup.sh: installing packages needs root; run it as root (from a root shell)" >&2
  exit 2
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "deploy/setup.sh: all ${#packages[@]} packages are installed"
fi

if ((${#missing[@]} > 0)); then
  echo "deploy/setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts must not start servers (clickhouse-server's postinst
  # runs invoke-rc.d start): a policy-rc.d that denies every action, kept
  # only for the install when none was there.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if ((own_policy)); then rm -f "$policy"; fi
fi

# Nothing of the ClickHouse export starts at boot: the tests and the demo
# run their own servers. The postinst enabled the unit and the SysV links.
if [[ -e /etc/init.d/clickhouse-server ]]; then
  update-rc.d clickhouse-server disable >/dev/null 2>&1 || true
fi
if command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper disable clickhouse-server.service >/dev/null 2>&1 || true
fi
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now clickhouse-server.service >/dev/null 2>&1 || true
fi

# Enrichment data for reports, from the npm registry (CC BY 4.0 / CC0:
# docs/enrichment.md credits the sources): the country of an address
# (mmdb) and its AS (CSV ranges). Installed once into the data directory;
# a version already there is kept.
data_dir=${DARKSCOPE_DATA_DIR:-/usr/local/share/darkscope}
geo_packages=(@ip-location-db/geo-whois-asn-country-mmdb @ip-location-db/asn)
if [[ ! -f "$data_dir/geo/node_modules/@ip-location-db/asn/package.json" ||
      ! -f "$data_dir/geo/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/package.json" ]]; then
  if ! command -v npm >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  echo "deploy/setup.sh: installing ${geo_packages[*]} into $data_dir/geo"
  mkdir -p "$data_dir/geo"
  npm install --prefix "$data_dir/geo" --no-audit --no-fund --silent "${geo_packages[@]}"
fi
