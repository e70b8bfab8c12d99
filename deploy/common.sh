# Shared by deploy/ and bench/ scripts (sourced, not run): the root check
# and the build they all start with.

# ds_require_root SCRIPT WHY: exits 2 with a one-line reason unless root.
ds_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "$1: needs root $2 (run it with sudo)" >&2
    exit 2
  fi
}

# ds_build [TARGET...]: installs the packages and builds (all by default).
ds_build() {
  ./deploy/setup.sh >/dev/null
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build build -j"$(nproc)" "${targets[@]}" >/dev/null
}
