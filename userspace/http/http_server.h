// HttpServer: a small HTTP server for the agent's monitoring endpoints,
// on civetweb (Debian's libcivetweb-dev, the server prometheus-cpp embeds).
// RAII: Start() listens and serves from civetweb's own threads; the
// destructor stops them. Routes are exact paths to handlers that return the
// whole response; only GET and HEAD are answered.
//
// Handlers run on civetweb's threads, never on the agent's: they must only
// read published, immutable figures (metrics/agent_figures.h).
#ifndef DARKSCOPE_HTTP_HTTP_SERVER_H_
#define DARKSCOPE_HTTP_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace darkscope {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

class HttpServer {
 public:
  // Listens on `address` ("127.0.0.1:9464", "[::1]:9464"; port 0 picks
  // one) and serves `routes` (path -> handler).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address, std::map<std::string, HttpHandler> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port listened on (the one picked, for port 0).
  int port() const { return port_; }

 private:
  explicit HttpServer(std::map<std::string, HttpHandler> routes)
      : routes_(std::move(routes)) {}
  static int Serve(::mg_connection* connection, void* route);

  std::map<std::string, HttpHandler> routes_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_HTTP_HTTP_SERVER_H_
