#!/usr/bin/env bash
# Builds the Debian package from a build directory (cpack -G DEB) and
# checks it: the files and control fields (dpkg-deb -c / -I): binary,
# units (the sensor, the rollup timer and its service), config, every doc
# of docs/, the alert rules and dashboard, the man page (and that it
# lists every subcommand of `darkscope --help`); the maintainer scripts
# and conffiles, the units (systemd-analyze verify on the extracted
# tree), that the shipped config file parses (the extracted binary reads
# it and stops only at the missing interface), that the shipped alert
# rules pass promtool, and that reports without geo data say how to
# install it.
# Then, as root, it installs the package for real with dpkg, maintainer
# scripts and all, into a throwaway overlay of / in a private mount
# namespace (the host's files are untouched), checks what the install
# left, verifies the installed unit, and purges it again.
#
#   deploy/package_test.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:?usage: deploy/package_test.sh BUILD_DIR}" && pwd)
fail() { echo "package_test: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/darkscope-package-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$build_dir" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/out/darkscope_*.deb)
echo "package_test: built $(basename "$deb")"

info=$(dpkg-deb -I "$deb")
depends=$(dpkg-deb -f "$deb" Depends)
for dep in adduser libbpf1 libxdp1 liburing2 libzstd1 libcivetweb1 libcap2; do
  [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
[[ $(dpkg-deb -f "$deb" Package) == darkscope ]] || fail "package name"
for script in postinst prerm postrm conffiles; do
  [[ $info == *" $script "* ]] || fail "control archive lacks $script"
done

files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
source_dir=$(cd "$(dirname "$0")/.." && pwd)
expected=(./usr/bin/darkscope ./lib/systemd/system/darkscope.service
  ./lib/systemd/system/darkscope-rollup.service
  ./lib/systemd/system/darkscope-rollup.timer
  ./etc/darkscope/darkscope.conf ./usr/lib/darkscope/darkscope.bpf.o
  ./usr/share/man/man1/darkscope.1.gz ./usr/share/doc/darkscope/README.md
  ./usr/share/darkscope/darkscope-alerts.yml
  ./usr/share/darkscope/darkscope-alerts_test.yml
  ./usr/share/darkscope/darkscope.json)
for doc in "$source_dir"/docs/*.md; do
  expected+=("./usr/share/doc/darkscope/$(basename "$doc")")
done
for f in "${expected[@]}"; do
  grep -qxF "$f" <<<"$files" || fail "missing $f"
done
for doc in reports scenarios enrichment operations clickhouse; do
  grep -qxF "./usr/share/doc/darkscope/$doc.md" <<<"$files" || fail "missing docs/$doc.md"
done

control="$work/control"
dpkg-deb -e "$deb" "$control"
grep -qxF /etc/darkscope/darkscope.conf "$control/conffiles" || fail "config is not a conffile"
grep -q 'adduser --system' "$control/postinst" || fail "postinst does not create the user"

root="$work/root"
dpkg-deb -x "$deb" "$root"
unit="$root/lib/systemd/system/darkscope.service"
# systemd-analyze verify checks that ExecStart='s binary exists: verify a
# copy that points at the extracted one (same name, so the unit's name and
# every other line are those shipped).
mkdir -p "$work/verify"
sed "s|^ExecStart=/usr/bin/darkscope |ExecStart=$root/usr/bin/darkscope |" "$unit" \
  >"$work/verify/darkscope.service"
if ! verify=$(systemd-analyze verify "$work/verify/darkscope.service" 2>&1); then
  echo "$verify" >&2
  fail "systemd-analyze verify failed"
fi
if grep -i 'darkscope.service' <<<"$verify"; then
  fail "systemd-analyze verify complains about the unit"
fi
for key in User=darkscope StateDirectory=darkscope ProtectSystem=strict ProtectHome=yes \
           "CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_SYS_ADMIN" \
           "AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_SYS_ADMIN" \
           "ExecStart=/usr/bin/darkscope run --config /etc/darkscope/darkscope.conf"; do
  grep -qxF "$key" "$unit" || fail "unit lacks $key"
done

# The shipped config parses: the only complaint is the example interface.
status=0
message=$("$root/usr/bin/darkscope" run --config "$root/etc/darkscope/darkscope.conf" \
  --iface ds-no-such-if 2>&1) || status=$?
[[ $status -eq 2 && $message == *"interface 'ds-no-such-if' not found"* ]] ||
  fail "shipped config: exit $status: $message"
# The man page: help2man's, naming every subcommand the binary lists.
man="$root/usr/share/man/man1/darkscope.1.gz"
page=$(zcat "$man")
grep -q '^\.TH DARKSCOPE "1"' <<<"$page" || fail "darkscope.1 has no .TH header"
rendered=$(MANWIDTH=100 man -l "$man" 2>/dev/null) || fail "man -l $man failed"
mapfile -t commands < <("$root/usr/bin/darkscope" --help | awk '/^commands:/ {on = 1; next}
  on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
[[ ${#commands[@]} -ge 5 ]] || fail "darkscope --help lists ${#commands[@]} commands"
for cmd in "${commands[@]}"; do
  grep -qE "^ +$cmd( |$)" <<<"$rendered" || fail "the man page's command list lacks $cmd"
  [[ $cmd == help || $cmd == version ]] && continue
  grep -q "darkscope $cmd" <<<"$rendered" || fail "the man page has no section for $cmd"
done

# The rollup timer and its service.
for unit_name in darkscope-rollup.service darkscope-rollup.timer; do
  sed "s|^ExecStart=/usr/bin/darkscope |ExecStart=$root/usr/bin/darkscope |" \
    "$root/lib/systemd/system/$unit_name" >"$work/verify/$unit_name"
done
if ! verify=$(systemd-analyze verify "$work/verify/darkscope-rollup.timer" \
                "$work/verify/darkscope-rollup.service" 2>&1) ||
   grep -i 'darkscope-rollup' <<<"$verify"; then
  echo "$verify" >&2
  fail "systemd-analyze verify complains about the rollup units"
fi
grep -qxF "ExecStart=/usr/bin/darkscope rollup --in /var/lib/darkscope" \
  "$root/lib/systemd/system/darkscope-rollup.service" || fail "rollup service ExecStart"
grep -qxF "Persistent=true" "$root/lib/systemd/system/darkscope-rollup.timer" ||
  fail "rollup timer is not persistent"

# The shipped rules as shipped (the test file beside them).
promtool check rules "$root/usr/share/darkscope/darkscope-alerts.yml" >/dev/null ||
  fail "promtool check rules on the shipped rules"
promtool test rules "$root/usr/share/darkscope/darkscope-alerts_test.yml" >/dev/null ||
  fail "promtool test rules on the shipped rules"

# Reports without geo data: they run, and say how to install it.
mkdir -p "$work/snapshots"
"$root/usr/bin/darkscope" gen --truth "$work/snapshots" --packets 2000 \
  >"$work/gen.log" 2>&1 || { cat "$work/gen.log" >&2; fail "darkscope gen failed"; }
status=0
report=$("$root/usr/bin/darkscope" report --in "$work/snapshots" \
  --geo-dir "$work/no-geo" 2>&1) || status=$?
[[ $status -eq 0 ]] || { echo "$report" >&2; fail "report without geo data: exit $status"; }
for says in "without countries" "GeoLite2-Country.mmdb" "deploy/setup.sh" "without ASes"; do
  [[ $report == *"$says"* ]] || { echo "$report" >&2; fail "report without geo data does not say '$says'"; }
done
echo "package_test: files, control, conffiles, maintainer scripts, units, man page, rules and config check out"

if [[ $(id -u) -ne 0 ]]; then
  [[ ${DARKSCOPE_REQUIRE_PRIVILEGED:-0} == 1 ]] && fail "installing the package needs root"
  echo "package_test: not root: the install into an overlay of / is skipped"
  exit 77
fi
mkdir -p "$work/upper" "$work/overlay-work" "$work/merged"
cp "$deb" "$work/darkscope.deb"
# What runs in the chroot of the overlay.
cat >"$work/check-install.sh" <<'CHECK'
set -euo pipefail
dpkg -i /tmp/darkscope.deb
getent passwd darkscope
test -x /usr/bin/darkscope
test -f /usr/lib/darkscope/darkscope.bpf.o
test -f /etc/darkscope/darkscope.conf
systemd-analyze verify /lib/systemd/system/darkscope.service
systemd-analyze verify /lib/systemd/system/darkscope-rollup.timer /lib/systemd/system/darkscope-rollup.service
man -w darkscope
dpkg-query -W -f='${Status}\n' darkscope
dpkg --purge darkscope
test ! -e /usr/bin/darkscope
test ! -e /lib/systemd/system/darkscope.service
test ! -e /lib/systemd/system/darkscope-rollup.timer
echo installed-and-purged
CHECK
# Inside the namespace: / overlaid (writes go to $work/upper), then dpkg
# in a chroot of it. systemd is not running there, so the unit is checked
# with systemd-analyze verify rather than systemctl.
install_log=$(unshare -m --propagation private bash -euo pipefail -c '
  work=$1
  merged=$work/merged
  mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/overlay-work" "$merged"
  mount -t proc proc "$merged/proc"
  mount --rbind /dev "$merged/dev"
  cp "$work/darkscope.deb" "$work/check-install.sh" "$merged/tmp/"
  chroot "$merged" /bin/bash /tmp/check-install.sh
' _ "$work" 2>&1) || { echo "$install_log" >&2; fail "dpkg -i in an overlay of / failed"; }
grep -q '^darkscope:x:.*:/var/lib/darkscope:' <<<"$install_log" ||
  { echo "$install_log" >&2; fail "postinst did not create the darkscope user"; }
grep -qx 'install ok installed' <<<"$install_log" ||
  { echo "$install_log" >&2; fail "dpkg does not list the package as installed"; }
grep -qx 'installed-and-purged' <<<"$install_log" ||
  { echo "$install_log" >&2; fail "the install check did not finish"; }
getent passwd darkscope >/dev/null && fail "the host got a darkscope user: the overlay leaked"
echo "package_test: dpkg -i and --purge in an overlay of /: user, files and unit check out"
