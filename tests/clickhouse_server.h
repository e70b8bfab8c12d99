// ClickHouse and ZooKeeper servers for tests: each on 127.0.0.1 on free
// ports, with a configuration and data of its own in a temporary
// directory (ClickHouse's under /dev/shm where there is one), started as the
// packages' users (ClickHouse as `clickhouse`, through setpriv; it runs without
// systemd), waited for until it answers, and stopped (or SIGKILLed, and
// restarted on the same ports and data) by the test. A ClickHouseCluster is N
// shards of R replicas and one ZooKeeper, with the {shard} and {replica} macros
// the Replicated tables use and a cluster named "darkscope_test".
#ifndef DARKSCOPE_TESTS_CLICKHOUSE_SERVER_H_
#define DARKSCOPE_TESTS_CLICKHOUSE_SERVER_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "privileged.h"

namespace darkscope::testing {

// Why a ClickHouse server cannot run here (not root, package missing), or
// nullptr.
const char* MissingClickHouse();

// A port nothing listens on now (bound and released).
int FreePort();

// A child process (own process group), stopped when destroyed.
class ServerProcess {
 public:
  ~ServerProcess() { Stop(); }
  absl::Status Spawn(const std::vector<std::string>& argv,
                     const std::string& log_path);
  bool Running();
  void Kill();  // SIGKILL, reaped
  void Stop();  // SIGTERM, SIGKILL after 20 s, reaped
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// `darkscope export ARGS` as a child process (`binary` is the darkscope
// binary), its standard error appended to `log`; SIGKILLed when destroyed.
class ExporterProcess {
 public:
  ~ExporterProcess() { Kill(SIGKILL); }
  void Start(const std::string& binary, const std::vector<std::string>& args,
             const std::string& log);
  bool running() const { return pid_ > 0; }
  // Sends `signal` and reaps: the wait status (-1 if none runs).
  int Kill(int signal);
  // Waits for the exit: the wait status (-1 if none runs).
  int Wait();

 private:
  pid_t pid_ = -1;
};

class ZooKeeperServer {
 public:
  static absl::StatusOr<std::unique_ptr<ZooKeeperServer>> Start();
  ~ZooKeeperServer();
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  ServerProcess process_;
};

struct ClickHouseNodeConfig {
  int http_port = 0, tcp_port = 0, interserver_port = 0;
  int zookeeper_port = 0;  // 0: none
  std::string shard, replica;
  // <remote_servers> contents ("" for none).
  std::string remote_servers;
};

class ClickHouseServer {
 public:
  // Free ports are taken for the ports left 0.
  static absl::StatusOr<std::unique_ptr<ClickHouseServer>> Start(
      ClickHouseNodeConfig config = {});
  ~ClickHouseServer();

  std::string url() const;
  const ClickHouseNodeConfig& config() const { return config_; }
  // Runs a query, returns its TabSeparated result.
  absl::StatusOr<std::string> Query(const std::string& sql);

  void Kill() { process_.Kill(); }
  void Stop() { process_.Stop(); }
  // Starts again on the same ports and data.
  absl::Status Restart();

 private:
  absl::Status Launch();

  ClickHouseNodeConfig config_;
  std::string dir_;
  ServerProcess process_;
};

class ClickHouseCluster {
 public:
  static constexpr const char* kName = "darkscope_test";
  static absl::StatusOr<std::unique_ptr<ClickHouseCluster>> Start(int shards,
                                                                  int replicas);
  // Shard-major: node (s * replicas + r).
  ClickHouseServer& node(int i) { return *nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }

 private:
  std::unique_ptr<ZooKeeperServer> zookeeper_;
  std::vector<std::unique_ptr<ClickHouseServer>> nodes_;
};

}  // namespace darkscope::testing

// First statement of a test that needs a ClickHouse server: skips when it
// cannot run, fails instead under DARKSCOPE_REQUIRE_PRIVILEGED=1.
#define DS_REQUIRE_CLICKHOUSE()                                            \
  do {                                                                     \
    if (const char* missing = ::darkscope::testing::MissingClickHouse()) { \
      if (::darkscope::testing::PrivilegedTestsRequired()) {               \
        FAIL() << "ClickHouse test required but " << missing;              \
      }                                                                    \
      GTEST_SKIP() << missing;                                             \
    }                                                                      \
  } while (0)

#endif  // DARKSCOPE_TESTS_CLICKHOUSE_SERVER_H_
