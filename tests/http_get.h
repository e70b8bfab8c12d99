// A minimal HTTP/1.0 GET for the tests of the monitoring endpoints: one
// request per connection to 127.0.0.1, the status code and the body back;
// the same from inside a network namespace; and one sample of /metrics.
#ifndef DARKSCOPE_TESTS_HTTP_GET_H_
#define DARKSCOPE_TESTS_HTTP_GET_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "netns.h"

namespace darkscope::testing {

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// `timeout_seconds` bounds the connect and each read and write (0: none),
// so that a server that stops answering fails a test instead of hanging it.
inline absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path,
                                         int timeout_seconds = 20) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  if (timeout_seconds > 0) {
    const timeval timeout = {timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  }
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect 127.0.0.1:", port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::InternalError("write request");
  }
  std::string reply;
  char buffer[16384];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) reply.append(buffer, n);
  const int read_error = n < 0 ? errno : 0;
  close(fd);
  if (read_error == EAGAIN || read_error == EWOULDBLOCK) {
    return absl::DeadlineExceededError(absl::StrCat(
        "GET ", path, ": no reply within ", timeout_seconds, " s"));
  }
  const size_t end = reply.find("\r\n\r\n");
  if (reply.size() < 12 || end == std::string::npos) {
    return absl::DataLossError("short HTTP reply: " + reply);
  }
  HttpReply out;
  out.status = std::atoi(reply.c_str() + 9);  // "HTTP/1.1 200"
  out.headers = reply.substr(0, end);
  out.body = reply.substr(end + 4);
  return out;
}

// HttpGet from a thread inside network namespace `ns`.
inline absl::StatusOr<HttpReply> HttpGetInNetns(const std::string& ns, int port,
                                                const std::string& path) {
  absl::StatusOr<HttpReply> reply = absl::InternalError("setns " + ns);
  std::thread([&] {
    if (EnterNetns(ns)) reply = HttpGet(port, path);
  }).join();
  return reply;
}

// The value of the sample `line_start` ("name{labels}") in /metrics text;
// all ones when absent.
inline uint64_t MetricSample(const std::string& text,
                             const std::string& line_start) {
  const size_t at = text.find("\n" + line_start + " ");
  if (at == std::string::npos) return ~0ull;
  const size_t begin = at + line_start.size() + 2;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text.substr(begin, text.find('\n', begin) - begin),
                        &value))
    return ~0ull;
  return value;
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_HTTP_GET_H_
