#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/error.h"

namespace newswire::http {

// One parsed request as a handler sees it. Only GET and HEAD ever reach a handler.
struct HttpRequest {
  std::string method;   // "GET" or "HEAD"
  std::string path;     // the request target without its query string, e.g. "/metrics"
  std::string query;    // what followed '?', without it; empty if there was none
  std::string version;  // "HTTP/1.0" or "HTTP/1.1"
  // In arrival order; names lower-cased, values with surrounding whitespace removed.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header named `name` (any case), if there is one.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// What a handler answers. The server adds Content-Length, Date and `Connection: close`, and leaves
// the body out for HEAD. `status` must be 200..599; 204 and 304 are sent without a body (and
// without Content-Length, which 204 forbids). A content type with control characters is a bug in
// the handler and turns into a 500.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the io thread for each GET or HEAD of its path. It must be quick and must not block:
// it holds up every other connection and timer on that thread (render from atomics or a snapshot;
// never wait for a lock held by a worker or for I/O). An exception it throws becomes a 500.
using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // A connection must deliver its whole request head within this long after it was accepted (and
  // then read the response within as long again); otherwise it is closed. Defeats idle and
  // slow-drip clients.
  std::int64_t read_timeout_ms = 5000;
  // Open connections at most; one more is answered 503 and closed at once, so a misbehaving
  // scraper cannot use up the process's file descriptors.
  std::size_t max_connections = 64;
  // Request line plus headers plus the blank line; a longer head is answered 400.
  std::size_t max_header_bytes = std::size_t{8} * 1024;
};

// A small HTTP/1.1 server for the operator endpoints (/metrics, /health, /ready): GET and HEAD
// only, no request bodies, one request per connection (every response says `Connection: close`
// and the server closes after writing it). Routes match the path exactly, after the query string
// is stripped. Unknown path: 404; other methods: 405 with Allow; malformed or oversized head: 400;
// a request body: 413.
// Threading: every method must be called on the io thread that runs `io` (or before any thread
// runs it); handlers are called there too. Owned by the app. Destroying the server stops it;
// completions still queued in `io` then find it stopped and do nothing, so the server may be
// destroyed before `io`.
class HttpServer {
 public:
  explicit HttpServer(asio::io_context& io, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. `address` is a numeric IPv4 or IPv6 address ("127.0.0.1", "::1",
  // "0.0.0.0"); port 0 picks a free port, which port() then returns. Errors are stage config:
  // the address or port in the config is what the operator has to change.
  Result<void> Listen(const std::string& address, std::uint16_t port);
  // Adds or replaces the handler of `path` (e.g. "/metrics"). May be called before or after
  // Listen.
  void Route(std::string path, Handler handler);
  // Closes the listener and every open connection; handlers are not called again. Idempotent.
  void Stop();

  // The bound port; 0 before Listen and after Stop.
  std::uint16_t port() const;
  std::size_t open_connections() const;

 private:
  class Impl;
  class Connection;
  // Shared with the pending accept and with every connection, so that a completion that runs
  // after the server was destroyed still finds valid (stopped) state.
  std::shared_ptr<Impl> impl_;
};

}  // namespace newswire::http
