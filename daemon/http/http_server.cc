#include "daemon/http/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <exception>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "daemon/http/http_parser.h"

namespace newswire::http {
namespace {

using asio::ip::tcp;

constexpr std::size_t kReadChunkBytes = 4096;
// After the response is written the server half-closes and reads whatever the client still sends
// until it closes too ("lingering close", as nginx does). Closing a socket with unread input makes
// the kernel send a reset, which can destroy the response before the client has read it: exactly
// the 400 or 413 that explains why. Bounded in time and bytes.
constexpr std::int64_t kMaxLingerMs = 1000;
constexpr std::size_t kMaxLingerBytes = std::size_t{64} * 1024;
// A failed accept (out of file descriptors, most likely) is retried after a pause instead of at
// once, which would spin on the io thread.
constexpr std::int64_t kAcceptRetryMs = 100;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

std::string DescribeEndpoint(const tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

// The server's state, shared (through shared_ptr) with the pending accept and every connection so
// that a completion queued before Stop() or the server's destruction still finds it. io thread
// only.
class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, HttpServerOptions options)
      : options_(options), acceptor_(io), accept_retry_timer_(io) {}

  void Accept();
  void OnAccept(std::error_code error, tcp::socket socket);
  void RejectOverLimit(tcp::socket& socket);
  void Stop();

  const HttpServerOptions options_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  bool limit_logged_ = false;  // warned that the connection limit was hit; reset below it
  std::unordered_map<std::string, Handler> routes_;
  // Each connection keeps itself alive through its pending operations and erases itself here
  // when it closes; Stop() closes the ones still open.
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
};

// One accepted socket: read the request head, answer, half-close, drain, close. Alive while an
// operation of its own is pending (each holds a shared_ptr). io thread only.
class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Impl> server, tcp::socket socket)
      : server_(std::move(server)), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void Start() {
    ArmTimer(server_->options_.read_timeout_ms);
    Read();
  }

  // Idempotent; whatever is pending completes with operation_aborted and finds closed_ set.
  void Close() {
    if (closed_) return;
    closed_ = true;
    ++timer_generation_;
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    server_->connections_.erase(this);
    if (server_->connections_.size() < server_->options_.max_connections) {
      server_->limit_logged_ = false;
    }
  }

 private:
  // Runs one completion's work; a per-connection failure (bad_alloc, a bug) closes this
  // connection instead of escaping into the io loop and taking the daemon down.
  template <typename Function>
  void Guarded(Function&& function) {
    try {
      function();
    } catch (const std::exception& exception) {
      spdlog::error("http: connection failed: {}", exception.what());
      Close();
    } catch (...) {
      spdlog::error("http: connection failed with an unknown exception");
      Close();
    }
  }

  // One deadline per phase (request head, response, linger). The generation discards a wait that
  // completed just before it was replaced by the next phase's.
  void ArmTimer(std::int64_t timeout_ms) {
    std::uint64_t generation = ++timer_generation_;
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this(), generation](std::error_code error) {
      if (error || generation != self->timer_generation_) return;
      self->Close();
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](std::error_code error, std::size_t bytes) {
                              self->Guarded([&] { self->OnRead(error, bytes); });
                            });
  }

  void OnRead(std::error_code error, std::size_t bytes) {
    if (closed_) return;
    if (error) {  // end of file or reset before a whole head: nobody to answer
      Close();
      return;
    }
    received_.append(chunk_.data(), bytes);
    received_.erase(0, LeadingEmptyLineBytes(received_));
    std::size_t max_bytes = server_->options_.max_header_bytes;
    std::size_t head_bytes = FindHeadEnd(received_);
    if (head_bytes == std::string::npos) {
      if (received_.size() >= max_bytes) {
        SendError(400, fmt::format("request head larger than {} bytes", max_bytes), false, false);
      } else {
        Read();
      }
      return;
    }
    if (head_bytes > max_bytes) {
      SendError(400, fmt::format("request head larger than {} bytes", max_bytes), false, false);
      return;
    }
    Answer(std::string_view(received_).substr(0, head_bytes));
  }

  void Answer(std::string_view head) {
    auto parsed = ParseRequestHead(head);
    if (!parsed) {
      SendError(parsed.error().status, parsed.error().message, false, false);
      return;
    }
    const HttpRequest& request = parsed->request;
    bool head_only = request.method == "HEAD";
    auto route = server_->routes_.find(request.path);
    if (route == server_->routes_.end()) {
      SendError(404, fmt::format("no such path: {}", request.path), false, head_only);
      return;
    }
    if (request.method != "GET" && !head_only) {
      SendError(405, fmt::format("{} is not allowed; use GET or HEAD", request.method), true,
                false);
      return;
    }
    if (parsed->has_body) {
      SendError(413, "a request body is not accepted", false, head_only);
      return;
    }

    // A copy: the handler may call Stop(), which clears the routes it is stored in.
    Handler handler = route->second;
    HttpResponse response;
    try {
      response = handler(request);
    } catch (const std::exception& exception) {
      spdlog::error("http: handler of {} threw: {}", request.path, exception.what());
      response = HttpResponse{500, std::string(kTextPlain), "internal error\n"};
    } catch (...) {
      spdlog::error("http: handler of {} threw an unknown exception", request.path);
      response = HttpResponse{500, std::string(kTextPlain), "internal error\n"};
    }
    if (closed_) return;  // the handler stopped the server
    if (response.status < 200 || response.status > 599) {
      spdlog::error("http: handler of {} returned status {}", request.path, response.status);
      response = HttpResponse{500, std::string(kTextPlain), "internal error\n"};
    } else if (!IsValidHeaderValue(response.content_type)) {
      spdlog::error("http: handler of {} returned a content type with control characters",
                    request.path);
      response = HttpResponse{500, std::string(kTextPlain), "internal error\n"};
    }
    if (response.content_type.empty()) response.content_type = kTextPlain;
    Send(response.status, response.content_type, std::move(response.body), false, head_only);
  }

  void SendError(int status, std::string_view message, bool allow, bool head_only) {
    Send(status, kTextPlain, fmt::format("{}\n", message), allow, head_only);
  }

  void Send(int status, std::string_view content_type, std::string body, bool allow,
            bool head_only) {
    bool bodiless = status == 204 || status == 304;
    response_head_ = RenderResponseHead(status, content_type, body.size(), allow,
                                        HttpDate(std::chrono::system_clock::now()));
    response_body_ = (head_only || bodiless) ? std::string() : std::move(body);
    ArmTimer(server_->options_.read_timeout_ms);
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(response_head_),
                                                 asio::buffer(response_body_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](std::error_code error, std::size_t) {
                        self->Guarded([&] { self->OnWritten(error); });
                      });
  }

  void OnWritten(std::error_code error) {
    if (closed_) return;
    if (error) {
      Close();
      return;
    }
    std::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    ArmTimer(std::min(server_->options_.read_timeout_ms, kMaxLingerMs));
    Linger();
  }

  void Linger() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](std::error_code error, std::size_t bytes) {
                              self->Guarded([&] {
                                if (self->closed_) return;
                                self->lingered_bytes_ += bytes;
                                if (error || self->lingered_bytes_ > kMaxLingerBytes) {
                                  self->Close();
                                } else {
                                  self->Linger();
                                }
                              });
                            });
  }

  std::shared_ptr<Impl> server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  std::array<char, kReadChunkBytes> chunk_{};
  std::string received_;  // the request head so far
  std::string response_head_;
  std::string response_body_;
  std::size_t lingered_bytes_ = 0;
  bool closed_ = false;
};

void HttpServer::Impl::Accept() {
  acceptor_.async_accept([self = shared_from_this()](std::error_code error, tcp::socket socket) {
    try {
      self->OnAccept(error, std::move(socket));
    } catch (const std::exception& exception) {
      // Out of memory, most likely; keep serving the connections there are. A connection that
      // failed to start has no operation keeping it alive: forget it, or it counts forever.
      spdlog::error("http: accepting a connection failed: {}", exception.what());
      std::erase_if(self->connections_, [](const auto& entry) { return entry.second.expired(); });
      if (!self->stopped_) self->Accept();
    }
  });
}

void HttpServer::Impl::OnAccept(std::error_code error, tcp::socket socket) {
  if (stopped_) return;  // `socket`, if any, closes as it goes out of scope
  if (error == asio::error::operation_aborted) return;
  if (error == asio::error::connection_aborted) {  // the client gave up before we got to it
    Accept();
    return;
  }
  if (error) {
    spdlog::warn("http: accept on port {} failed: {}; retrying in {} ms", port_, error.message(),
                 kAcceptRetryMs);
    accept_retry_timer_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_retry_timer_.async_wait([self = shared_from_this()](std::error_code wait_error) {
      if (wait_error || self->stopped_) return;
      self->Accept();
    });
    return;
  }
  if (connections_.size() >= options_.max_connections) {
    RejectOverLimit(socket);
  } else {
    auto connection = std::make_shared<Connection>(shared_from_this(), std::move(socket));
    connections_.emplace(connection.get(), connection);
    connection->Start();
  }
  Accept();
}

// Best effort: one non-blocking write of a short 503 into the fresh socket's empty send buffer,
// then close, so the connection costs a file descriptor for no longer than this call.
void HttpServer::Impl::RejectOverLimit(tcp::socket& socket) {
  if (!limit_logged_) {
    spdlog::warn("http: {} connections open on port {}; answering 503 to new ones until one closes",
                 connections_.size(), port_);
    limit_logged_ = true;
  }
  std::string body = "too many connections\n";
  std::string response = RenderResponseHead(503, kTextPlain, body.size(), false,
                                            HttpDate(std::chrono::system_clock::now())) +
                         body;
  std::error_code ignored;
  socket.non_blocking(true, ignored);
  if (!ignored) socket.write_some(asio::buffer(response), ignored);
  socket.close(ignored);
}

void HttpServer::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  port_ = 0;
  // Moved out first: each Close() erases its connection from connections_.
  auto open = std::move(connections_);
  connections_.clear();
  for (const auto& [pointer, weak] : open) {
    if (auto connection = weak.lock()) connection->Close();
  }
  routes_.clear();  // lets go of whatever the handlers captured
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, options)) {}

HttpServer::~HttpServer() { Stop(); }

Result<void> HttpServer::Listen(const std::string& address, std::uint16_t port) {
  Impl& server = *impl_;
  if (server.stopped_) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     "the HTTP server was stopped and cannot listen again");
  }
  if (server.acceptor_.is_open()) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("the HTTP server already listens on port {}", server.port_));
  }
  std::error_code error;
  asio::ip::address ip = asio::ip::make_address(address, error);
  if (error) {
    return MakeError(
        Stage::kConfig, ErrorCode::kInvalidArgument,
        fmt::format("HTTP listen address '{}' is not a numeric IPv4 or IPv6 address", address));
  }
  tcp::endpoint endpoint(ip, port);
  auto fail = [&](std::string_view what) {
    std::error_code ignored;
    server.acceptor_.close(ignored);
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot {} the HTTP endpoint {}: {}", what,
                                 DescribeEndpoint(endpoint), error.message()));
  };
  server.acceptor_.open(endpoint.protocol(), error);
  if (error) return fail("open");
  // A restarted daemon can bind again while the old process's connections sit in TIME_WAIT. On
  // Linux this does not let two listeners share the port.
  server.acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (error) return fail("configure");
  server.acceptor_.bind(endpoint, error);
  if (error) return fail("bind");
  server.acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) return fail("listen on");
  tcp::endpoint bound = server.acceptor_.local_endpoint(error);
  if (error) return fail("read the port of");
  server.port_ = bound.port();
  server.Accept();
  return {};
}

void HttpServer::Route(std::string path, Handler handler) {
  impl_->routes_.insert_or_assign(std::move(path), std::move(handler));
}

void HttpServer::Stop() { impl_->Stop(); }

std::uint16_t HttpServer::port() const { return impl_->port_; }

std::size_t HttpServer::open_connections() const { return impl_->connections_.size(); }

}  // namespace newswire::http
