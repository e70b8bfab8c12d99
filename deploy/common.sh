# Shared by deploy/ and bench/ scripts (sourced, not run): the root check,
# the build they all start with, and the namespaces with a veth pair that
# their traffic stays in.

# ds_require_root SCRIPT WHY: exits 2 with a one-line reason unless root.
ds_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "$1: needs root $2; run it as root (from a root shell)" >&2
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

# ds_veth_lab_create SENSOR_NS SCANNER_NS SENSOR_IF SCANNER_IF [QUEUES]: two
# network namespaces, IPv6 off in both (no neighbour discovery beside the
# test traffic), joined by a veth pair with QUEUES rx and tx queues per end
# (default 1); both ends up, no address, no route out.
ds_veth_lab_create() {
  local queues=${5:-1} ns
  ip netns add "$1"
  ip netns add "$2"
  for ns in "$1" "$2"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip link add "$3" netns "$1" numtxqueues "$queues" numrxqueues "$queues" \
    type veth peer name "$4" netns "$2" numtxqueues "$queues" numrxqueues "$queues"
  ip -n "$1" link set "$3" up
  ip -n "$2" link set "$4" up
}

# ds_stop_process [PID]: SIGTERM to PID and waits for it; nothing without a
# PID (the cleanups call it before their process started).
ds_stop_process() {
  [[ -n "${1:-}" ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# ds_wait_for FILE TEXT PID [SECONDS]: until FILE contains TEXT (default 120
# s: a loaded machine creates the maps and verifies the program slowly),
# while PID lives. On timeout or exit, says so with FILE's tail and returns
# 1; callers must not go on (traffic sent before the program is attached is
# never counted).
ds_wait_for() {
  local file=$1 text=$2 pid=$3 tenths=$((${4:-120} * 10))
  for ((i = 0; i < tenths; i++)); do
    grep -aq -- "$text" "$file" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before '$text' appeared in $file:" >&2
      tail -5 "$file" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "timed out after ${4:-120} s waiting for '$text' in $file:" >&2
  tail -5 "$file" >&2
  return 1
}

# ds_wait_attached LOG PID: until the agent's LOG (its stdout and stderr)
# says the program is attached and counting: the line "attached
# xdp_count_darknet to IF (ifindex N)", or "attached (adopted) ...". Not the
# bare word: warnings say "attached" too, before anything is.
ds_wait_attached() {
  ds_wait_for "$1" 'xdp_count_darknet to [^ ]* (ifindex ' "$2"
}

# ds_veth_lab_delete SENSOR_NS SCANNER_NS: deletes both (and the pair).
ds_veth_lab_delete() {
  ip netns del "$1" 2>/dev/null || true
  ip netns del "$2" 2>/dev/null || true
}

# ds_free_port: a loopback TCP port nothing listens on now (20000-31999,
# below the ephemeral range).
ds_free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "no free port on 127.0.0.1" >&2
  return 1
}

# ds_clickhouse_config DIR HTTP_PORT TCP_PORT MAX_MEMORY_BYTES [XML]: writes
# DIR/config.xml for a clickhouse-server of a script's own: 127.0.0.1 only,
# data and logs in DIR, user default without password from 127.0.0.1, and
# XML (cluster, ZooKeeper, macros) inside <yandex>.
ds_clickhouse_config() {
  local d=$1
  mkdir -p "$d"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$2</http_port><tcp_port>$3</tcp_port>
  <path>$d/data/</path><tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path><format_schema_path>$d/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size><uncompressed_cache_size>67108864</uncompressed_cache_size>
  <timezone>UTC</timezone>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <profiles><default><max_memory_usage>$4</max_memory_usage></default></profiles>
  <quotas><default></default></quotas>
  <default_profile>default</default_profile><default_database>default</default_database>
  ${5:-}
</yandex>
EOF
}
