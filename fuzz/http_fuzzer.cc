// Fuzzing the monitoring endpoints' request path: one HttpServer on
// 127.0.0.1 (a free port) for the whole run, each input sent as the bytes
// of one connection (then the write side shut), the reply read until the
// server closes. The server must answer or close, never crash; the routes
// answer like the agent's (/metrics, /healthz).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "http/http_server.h"

namespace {

std::unique_ptr<darkscope::HttpServer>& Server() {
  static std::unique_ptr<darkscope::HttpServer> server;
  return server;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  absl::StatusOr<std::unique_ptr<darkscope::HttpServer>> server =
      darkscope::HttpServer::Start(
          "127.0.0.1:0",
          {{"/metrics",
            [] {
              return darkscope::HttpResponse{200, "text/plain", "m 1\n"};
            }},
           {"/healthz", [] {
              return darkscope::HttpResponse{503, "text/plain", "late\n"};
            }}});
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    std::abort();
  }
  Server() = std::move(*server);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const timeval timeout = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(Server()->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    size_t sent = 0;
    while (sent < size) {
      const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    shutdown(fd, SHUT_WR);
    char reply[4096];
    while (read(fd, reply, sizeof(reply)) > 0) {
    }
  }
  close(fd);
  return 0;
}
