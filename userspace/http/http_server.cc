// The civetweb server behind the monitoring endpoints.
#include "http/http_server.h"

#include <civetweb.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

// Sends `response` (the body only for GET).
void Send(mg_connection* connection, const HttpResponse& response, bool with_body) {
  mg_response_header_start(connection, response.status);
  mg_response_header_add(connection, "Content-Type", response.content_type.c_str(), -1);
  const std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(connection, "Content-Length", length.c_str(), -1);
  mg_response_header_add(connection, "Cache-Control", "no-store", -1);
  mg_response_header_send(connection);
  if (with_body && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
}

// civetweb logs through this callback; nothing to stderr for each request.
int LogMessage(const mg_connection*, const char*) { return 1; }

}  // namespace

int HttpServer::Serve(mg_connection* connection, void* route) {
  const mg_request_info* request = mg_get_request_info(connection);
  const bool get = std::strcmp(request->request_method, "GET") == 0;
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!get && !head) {
    Send(connection, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, true);
    return 405;
  }
  const HttpResponse response = (*static_cast<const HttpHandler*>(route))();
  Send(connection, response, get);
  return response.status;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, std::map<std::string, HttpHandler> routes) {
  static const unsigned features = mg_init_library(0);
  (void)features;
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes)));
  // No document_root: nothing but the routes is served.
  const char* options[] = {"listening_ports", address.c_str(),
                           "num_threads", "2",
                           "request_timeout_ms", "5000",
                           "enable_keep_alive", "no",
                           nullptr};
  mg_callbacks callbacks = {};
  callbacks.log_message = LogMessage;
  mg_init_data init = {&callbacks, server.get(), options};
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error = {&error_code, error_text, sizeof(error_text)};
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("listen on ", address, " for HTTP: ",
                     error_text[0] != '\0' ? error_text : "civetweb could not start"));
  }
  for (auto& [path, handler] : server->routes_) {
    // "$" makes the route exact: /metrics does not serve /metrics/x.
    mg_set_request_handler(server->context_, (path + "$").c_str(), &HttpServer::Serve,
                           &handler);
  }
  mg_server_port ports[4] = {};
  if (mg_get_server_ports(server->context_, 4, ports) > 0) server->port_ = ports[0].port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

}  // namespace darkscope
