#!/usr/bin/env bash
# Proves that the offline side (cat, report, rollup, gen and their tests)
# builds and passes without libbpf or libxdp: in a private mount namespace
# where their headers, libraries and pkg-config files are hidden, configure
# with -DDARKSCOPE_KERNEL_SIDE=OFF, build, run the tests that build has,
# and check that the binary has no kernel side and links neither library.
# The host's files are untouched (the mounts die with the namespace).
#
#   deploy/offline_build_test.sh SOURCE_DIR   (as root)
set -euo pipefail
source_dir=$(cd "${1:?usage: deploy/offline_build_test.sh SOURCE_DIR}" && pwd)
fail() { echo "offline_build_test: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "offline_build_test: needs root (a private mount namespace); skipped" >&2
  exit 77
fi

if [[ ${DARKSCOPE_OFFLINE_INNER:-} != 1 ]]; then
  work=$(mktemp -d /tmp/darkscope-offline-XXXXXX)
  trap 'rm -rf "$work"' EXIT
  DARKSCOPE_OFFLINE_INNER=1 DARKSCOPE_OFFLINE_WORK=$work \
    unshare --mount --propagation private "$0" "$source_dir"
  exit $?
fi

# Inside the namespace: hide everything of libbpf and libxdp.
work=$DARKSCOPE_OFFLINE_WORK
multiarch=$(gcc -print-multiarch)
hidden=0
for dir in /usr/include/bpf /usr/include/xdp; do
  if [[ -d $dir ]]; then mount -t tmpfs none "$dir"; hidden=$((hidden + 1)); fi
done
for lib in /usr/lib/"$multiarch"/lib{bpf,xdp}.* /lib/"$multiarch"/lib{bpf,xdp}.*; do
  if [[ -e $lib && ! -L $lib ]]; then mount --bind /dev/null "$lib"; hidden=$((hidden + 1)); fi
done
pc_dir=/usr/lib/$multiarch/pkgconfig
mkdir "$work/pkgconfig"
for pc in "$pc_dir"/*.pc; do
  case $(basename "$pc") in libbpf.pc | libxdp.pc) ;; *) cp "$pc" "$work/pkgconfig/" ;; esac
done
mount --bind "$work/pkgconfig" "$pc_dir"
pkg-config --exists libbpf && fail "libbpf is still visible to pkg-config"
[[ -e /usr/include/bpf/libbpf.h ]] && fail "libbpf's headers are still visible"
echo "offline_build_test: hid $hidden libbpf/libxdp paths and their pkg-config files"

build=$work/build
cmake -S "$source_dir" -B "$build" -DDARKSCOPE_KERNEL_SIDE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  ${DARKSCOPE_WERROR:+-DDARKSCOPE_WERROR=$DARKSCOPE_WERROR} >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configure failed"; }
cmake --build "$build" -j"$(nproc)" >"$work/build.log" 2>&1 ||
  { tail -50 "$work/build.log" >&2; fail "build failed"; }
(cd "$build" && ctest --output-on-failure -j"$(nproc)") || fail "offline tests failed"

binary=$build/userspace/darkscope
if ldd "$binary" | grep -qE 'libbpf|libxdp'; then fail "darkscope links libbpf or libxdp"; fi
for command in cat report rollup gen; do
  "$binary" "$command" --help >/dev/null 2>&1 || fail "darkscope $command --help failed"
done
set +e
"$binary" run --iface lo >/dev/null 2>"$work/run.err"
status=$?
set -e
[[ $status -eq 2 ]] && grep -q "no kernel side" "$work/run.err" ||
  fail "darkscope run in an offline build: exit $status, $(cat "$work/run.err")"
echo "offline_build_test: the offline side builds and passes without libbpf and libxdp"
