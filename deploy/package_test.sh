#!/usr/bin/env bash
# Builds the Debian package from a build directory (cpack -G DEB) and
# checks it: the files and control fields (dpkg-deb -c / -I), the
# maintainer scripts and conffiles, the unit (systemd-analyze verify on
# the extracted tree), and that the shipped config file parses (the
# extracted binary reads it and stops only at the missing interface).
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
for f in ./usr/bin/darkscope ./lib/systemd/system/darkscope.service \
         ./etc/darkscope/darkscope.conf ./usr/lib/darkscope/darkscope.bpf.o \
         ./usr/share/doc/darkscope/operations.md; do
  grep -qxF "$f" <<<"$files" || fail "missing $f"
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
echo "package_test: files, control, conffiles, maintainer scripts, unit and config check out"

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
dpkg-query -W -f='${Status}\n' darkscope
dpkg --purge darkscope
test ! -e /usr/bin/darkscope
test ! -e /lib/systemd/system/darkscope.service
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
