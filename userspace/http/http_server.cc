// The civetweb server behind the monitoring endpoints.
#include "http/http_server.h"

#include <civetweb.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/thread_guard.h"

namespace darkscope {
namespace {

// Sends `response` (the body only for GET).
void Send(mg_connection* connection, const HttpResponse& response,
          bool with_body) {
  mg_response_header_start(connection, response.status);
  mg_response_header_add(connection, "Content-Type",
                         response.content_type.c_str(), -1);
  const std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(connection, "Content-Length", length.c_str(), -1);
  mg_response_header_add(connection, "Cache-Control", "no-store", -1);
  mg_response_header_send(connection);
  if (with_body && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
}

// civetweb serves each connection on one of its worker threads, from the
// accept to the close: a client that connects and sends nothing (or a
// byte a second) holds a worker until the request deadline. So that
// monitoring stays answerable while clients hold connections open:
// - many workers (threads mostly asleep: a few KB each that is touched),
// - a short deadline for the whole request head (civetweb's
//   request_timeout_ms counts from the first read of the request, not per
//   read; a scraper sends its few hundred bytes at once) and for each
//   write of the reply,
// - a cap on what is held: kWorkers connections served and kQueued
//   accepted and waiting; beyond that the kernel's listen backlog holds
//   the rest and new clients wait for their SYN to be taken.
// A probe behind K held connections is answered within about
// kRequestTimeout * ceil(K / kWorkers).
constexpr char kWorkers[] = "64";
constexpr char kQueued[] = "64";
constexpr char kListenBacklog[] = "128";
constexpr char kRequestTimeoutMs[] = "2000";
constexpr char kMaxRequestHead[] = "8192";

// civetweb logs through this callback; nothing to stderr for each request.
int LogMessage(const mg_connection*, const char*) { return 1; }

}  // namespace

int HttpServer::Serve(mg_connection* connection, void* route) {
  const mg_request_info* request = mg_get_request_info(connection);
  const bool get = std::strcmp(request->request_method, "GET") == 0;
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!get && !head) {
    Send(connection, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"},
         true);
    return 405;
  }
  // A handler's exception (out of memory rendering /metrics) must not
  // unwind into civetweb's C threads: the request gets a 500.
  HttpResponse response;
  try {
    response = (*static_cast<const HttpHandler*>(route))();
  } catch (...) {
    response = {500, "text/plain; charset=utf-8",
                absl::StrCat(CurrentExceptionText(), "\n")};
  }
  Send(connection, response, get);
  return response.status;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, std::map<std::string, HttpHandler> routes) {
  static const unsigned features = mg_init_library(0);
  (void)features;
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes)));
  // No document_root: nothing but the routes is served.
  const char* options[] = {"listening_ports",
                           address.c_str(),
                           "num_threads",
                           kWorkers,
                           "connection_queue",
                           kQueued,
                           "listen_backlog",
                           kListenBacklog,
                           "request_timeout_ms",
                           kRequestTimeoutMs,
                           "max_request_size",
                           kMaxRequestHead,
                           "enable_keep_alive",
                           "no",
                           nullptr};
  mg_callbacks callbacks = {};
  callbacks.log_message = LogMessage;
  mg_init_data init = {&callbacks, server.get(), options};
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error = {&error_code, error_text, sizeof(error_text)};
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "listen on ", address, " for HTTP: ",
        error_text[0] != '\0' ? error_text : "civetweb could not start"));
  }
  for (auto& [path, handler] : server->routes_) {
    // "$" makes the route exact: /metrics does not serve /metrics/x.
    mg_set_request_handler(server->context_, (path + "$").c_str(),
                           &HttpServer::Serve, &handler);
  }
  mg_server_port ports[4] = {};
  if (mg_get_server_ports(server->context_, 4, ports) > 0)
    server->port_ = ports[0].port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

}  // namespace darkscope
