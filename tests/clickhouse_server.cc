// Test servers: configuration files, processes, readiness.
#include "clickhouse_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "export/clickhouse_client.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;

// Under `base`, or /tmp when `base` is not a writable directory.
std::string MakeTempDir(const char* tag, const char* base = "/tmp") {
  if (access(base, W_OK | X_OK) != 0) base = "/tmp";
  std::string pattern = absl::StrCat(base, "/darkscope-", tag, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("write ", path));
  return absl::OkStatus();
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
}

// Gives `dir` and everything under it to user `name`.
void ChownTree(const std::string& dir, const char* name) {
  const passwd* pw = getpwnam(name);
  if (pw == nullptr) return;
  (void)!chown(dir.c_str(), pw->pw_uid, pw->pw_gid);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    (void)!chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid);
  }
}

// ZooKeeper serves sessions: "srvr" names its mode. Not "ruok": it answers
// "imok" while the server is still starting and refuses sessions, and
// ClickHouse 18.16 then crashes in its DDL worker (null session).
bool ZooKeeperAnswers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, "srvr", 4) == 4) {
    std::string answer;
    char buffer[512];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) answer.append(buffer, n);
    ok = answer.find("\nMode: ") != std::string::npos;
  }
  close(fd);
  return ok;
}

}  // namespace

const char* MissingClickHouse() {
  if (geteuid() != 0)
    return "needs root to run clickhouse-server as the clickhouse user";
  if (access("/usr/sbin/clickhouse-server", X_OK) != 0 ||
      getpwnam("clickhouse") == nullptr) {
    return "clickhouse-server is not installed (deploy/setup.sh installs it)";
  }
  if (access("/usr/share/java/zookeeper.jar", R_OK) != 0) {
    return "zookeeper is not installed (deploy/setup.sh installs it)";
  }
  return nullptr;
}

int FreePort() {
  // Below the ephemeral range (32768-60999), which outgoing connections
  // take from, so that a port found free stays free until the server binds.
  static std::mt19937 random(static_cast<unsigned>(getpid() ^ time(nullptr)));
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = 20000 + static_cast<int>(random() % 12000);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free =
        bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

absl::Status ServerProcess::Spawn(const std::vector<std::string>& argv,
                                  const std::string& log_path) {
  // Nothing allocates between fork and exec (see AgentProcess::Start).
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    setpgid(0, 0);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  Kill();
}

void ExporterProcess::Start(const std::string& binary,
                            const std::vector<std::string>& args,
                            const std::string& log) {
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()),
                             const_cast<char*>("export")};
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, 2);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

int ExporterProcess::Kill(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  return Wait();
}

int ExporterProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

absl::StatusOr<std::unique_ptr<ZooKeeperServer>> ZooKeeperServer::Start() {
  auto zk = std::unique_ptr<ZooKeeperServer>(new ZooKeeperServer());
  zk->dir_ = MakeTempDir("zookeeper");
  if (zk->dir_.empty()) return absl::InternalError("mkdtemp for ZooKeeper");
  zk->port_ = FreePort();
  fs::create_directory(zk->dir_ + "/data");
  const std::string config = zk->dir_ + "/zoo.cfg";
  if (absl::Status s =
          WriteFile(config, absl::StrCat("tickTime=500\ndataDir=", zk->dir_,
                                         "/data\nclientPort=", zk->port_,
                                         "\nclientPortAddress=127.0.0.1\n"
                                         "admin.enableServer=false\n"
                                         "4lw.commands.whitelist=srvr\n"
                                         "maxClientCnxns=200\n"));
      !s.ok()) {
    return s;
  }
  ChownTree(zk->dir_, "zookeeper");
  if (absl::Status s = zk->process_.Spawn(
          {"setpriv", "--reuid=zookeeper", "--regid=zookeeper", "--init-groups",
           "java", "-Xmx256m", absl::StrCat("-Dzookeeper.log.dir=", zk->dir_),
           "-cp", "/usr/share/java/zookeeper.jar",
           "org.apache.zookeeper.server.quorum.QuorumPeerMain", config},
          zk->dir_ + "/zookeeper.log");
      !s.ok()) {
    return s;
  }
  for (absl::Time limit = absl::Now() + absl::Seconds(60);
       absl::Now() < limit;) {
    if (ZooKeeperAnswers(zk->port_)) return zk;
    if (!zk->process_.Running()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::UnavailableError(
      absl::StrCat("ZooKeeper on 127.0.0.1:", zk->port_,
                   " did not answer: ", Tail(zk->dir_ + "/zookeeper.log")));
}

ZooKeeperServer::~ZooKeeperServer() {
  process_.Stop();
  if (!dir_.empty()) fs::remove_all(dir_);
}

absl::StatusOr<std::unique_ptr<ClickHouseServer>> ClickHouseServer::Start(
    ClickHouseNodeConfig config) {
  auto server = std::unique_ptr<ClickHouseServer>(new ClickHouseServer());
  for (int* port :
       {&config.http_port, &config.tcp_port, &config.interserver_port}) {
    if (*port == 0) *port = FreePort();
  }
  server->config_ = config;
  // In memory where it can: a suite leaves tens of thousands of part
  // files, whose removal took minutes on a loaded disk.
  server->dir_ = MakeTempDir("clickhouse", "/dev/shm");
  if (server->dir_.empty())
    return absl::InternalError("mkdtemp for ClickHouse");
  const std::string& d = server->dir_;
  std::string xml = absl::StrCat(
      "<?xml version=\"1.0\"?>\n<yandex>\n"
      "  <logger><level>warning</level><log>",
      d, "/server.log</log><errorlog>", d,
      "/server.err.log</errorlog><console>0</console></logger>\n"
      "  <listen_host>127.0.0.1</listen_host>\n"
      "  <http_port>",
      config.http_port, "</http_port>\n  <tcp_port>", config.tcp_port,
      "</tcp_port>\n  <interserver_http_port>", config.interserver_port,
      "</interserver_http_port>\n  "
      "<interserver_http_host>127.0.0.1</interserver_http_host>\n"
      "  <path>",
      d, "/data/</path>\n  <tmp_path>", d,
      "/tmp/</tmp_path>\n  <user_files_path>", d,
      "/user_files/</user_files_path>\n  <format_schema_path>", d,
      "/format_schemas/</format_schema_path>\n"
      "  <mark_cache_size>67108864</mark_cache_size>\n"
      "  <uncompressed_cache_size>67108864</uncompressed_cache_size>\n"
      "  <max_concurrent_queries>50</max_concurrent_queries>\n"
      "  <timezone>UTC</timezone>\n"
      "  "
      "<users><default><password></password><networks><ip>127.0.0.1</ip></"
      "networks>"
      "<profile>default</profile><quota>default</quota></default></users>\n"
      "  "
      "<profiles><default><max_memory_usage>2000000000</max_memory_usage></"
      "default></profiles>\n"
      "  <quotas><default></default></quotas>\n"
      "  <default_profile>default</default_profile>\n  "
      "<default_database>default</default_database>\n");
  if (config.zookeeper_port != 0) {
    absl::StrAppend(&xml, "  <zookeeper><node><host>127.0.0.1</host><port>",
                    config.zookeeper_port,
                    "</port></node><session_timeout_ms>3000</"
                    "session_timeout_ms></zookeeper>\n",
                    "  "
                    "<distributed_ddl><path>/clickhouse/task_queue/ddl</path></"
                    "distributed_ddl>\n");
  }
  if (!config.shard.empty()) {
    absl::StrAppend(&xml, "  <macros><shard>", config.shard,
                    "</shard><replica>", config.replica,
                    "</replica></macros>\n");
  }
  if (!config.remote_servers.empty()) {
    absl::StrAppend(&xml, "  <remote_servers>", config.remote_servers,
                    "</remote_servers>\n");
  }
  absl::StrAppend(&xml, "</yandex>\n");
  if (absl::Status s = WriteFile(d + "/config.xml", xml); !s.ok()) return s;
  ChownTree(d, "clickhouse");
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  return server;
}

absl::Status ClickHouseServer::Launch() {
  if (absl::Status s =
          process_.Spawn({"setpriv", "--reuid=clickhouse", "--regid=clickhouse",
                          "--init-groups", "clickhouse-server",
                          absl::StrCat("--config-file=", dir_, "/config.xml")},
                         dir_ + "/stdout.log");
      !s.ok()) {
    return s;
  }
  ClickHouseClient client(url(), absl::Seconds(2));
  for (absl::Time limit = absl::Now() + absl::Seconds(60);
       absl::Now() < limit;) {
    if (client.Ping().ok()) return absl::OkStatus();
    if (!process_.Running()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::UnavailableError(
      absl::StrCat("clickhouse-server on ", url(), " did not answer: ",
                   Tail(dir_ + "/server.err.log"), Tail(dir_ + "/stdout.log")));
}

absl::Status ClickHouseServer::Restart() {
  process_.Stop();
  return Launch();
}

ClickHouseServer::~ClickHouseServer() {
  process_.Stop();
  if (!dir_.empty()) fs::remove_all(dir_);
}

std::string ClickHouseServer::url() const {
  return absl::StrCat("http://127.0.0.1:", config_.http_port);
}

absl::StatusOr<std::string> ClickHouseServer::Query(const std::string& sql) {
  ClickHouseClient client(url(), absl::Seconds(120));
  return client.Query(sql, "test query");
}

absl::StatusOr<std::unique_ptr<ClickHouseCluster>> ClickHouseCluster::Start(
    int shards, int replicas) {
  auto cluster = std::unique_ptr<ClickHouseCluster>(new ClickHouseCluster());
  auto zk = ZooKeeperServer::Start();
  if (!zk.ok()) return zk.status();
  cluster->zookeeper_ = std::move(*zk);
  std::vector<ClickHouseNodeConfig> configs;
  std::string layout = absl::StrCat("<", kName, ">");
  for (int s = 0; s < shards; ++s) {
    absl::StrAppend(&layout,
                    "<shard><internal_replication>true</internal_replication>");
    for (int r = 0; r < replicas; ++r) {
      ClickHouseNodeConfig c;
      c.http_port = FreePort();
      c.tcp_port = FreePort();
      c.interserver_port = FreePort();
      c.zookeeper_port = cluster->zookeeper_->port();
      c.shard = absl::StrCat("0", s + 1);
      c.replica = absl::StrCat("r", s + 1, "_", r + 1);
      absl::StrAppend(&layout, "<replica><host>127.0.0.1</host><port>",
                      c.tcp_port, "</port></replica>");
      configs.push_back(c);
    }
    absl::StrAppend(&layout, "</shard>");
  }
  absl::StrAppend(&layout, "</", kName, ">");
  for (ClickHouseNodeConfig& c : configs) {
    c.remote_servers = layout;
    auto node = ClickHouseServer::Start(c);
    if (!node.ok()) return node.status();
    cluster->nodes_.push_back(std::move(*node));
  }
  return cluster;
}

}  // namespace darkscope::testing
