#include "daemon/http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace newswire::http {
namespace {

// A blocking loopback client on plain sockets. Reads give up after 10 s, so a server bug fails a
// test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval timeout{};
    timeout.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Everything until the server closes. `closed` says whether it did (end of file) rather than
  // the read failing or timing out.
  std::string ReadToEnd(bool* closed = nullptr) {
    std::string data;
    std::array<char, 4096> buffer{};
    while (true) {
      ssize_t received = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (received <= 0) {
        if (closed != nullptr) *closed = received == 0;
        return data;
      }
      data.append(buffer.data(), static_cast<std::size_t>(received));
    }
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

// Splits a raw response; status 0 if it is not one.
Response ParseResponse(const std::string& raw) {
  Response response;
  std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || !raw.starts_with("HTTP/1.1 ") || raw.size() < 12) {
    return response;
  }
  response.status = std::stoi(raw.substr(9, 3));
  std::size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    std::size_t line_end = raw.find("\r\n", line_start);
    std::string line = raw.substr(line_start, line_end - line_start);
    std::size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    line_start = line_end + 2;
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

constexpr std::string_view kHelloBody = "hello world\n";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

// A server on 127.0.0.1 with an ephemeral port, its io_context run by a thread of its own, and
// blocking clients on the test thread: real TCP, as a scraper sees it.
class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(io_, options);
    server_->Route("/hello", [this](const HttpRequest& request) {
      std::lock_guard lock(mutex_);
      last_request_ = request;
      return HttpResponse{200, std::string(kMetricsType), std::string(kHelloBody)};
    });
    server_->Route("/not-ready", [](const HttpRequest&) {
      return HttpResponse{503, "text/plain", "not ready\n"};
    });
    server_->Route("/throws", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("handler bug");
    });
    server_->Route("/stop", [this](const HttpRequest&) {
      server_->Stop();
      return HttpResponse{};
    });
    auto listening = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(listening) << listening.error().Describe();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (io_thread_.joinable()) {
      OnIo([this] { server_->Stop(); });
      work_.reset();
      io_thread_.join();
    }
    server_.reset();
  }

  // Runs `function` on the io thread and waits for it: the server is io-thread only.
  void OnIo(const std::function<void()>& function) {
    std::promise<void> done;
    asio::post(io_, [&] {
      function();
      done.set_value();
    });
    done.get_future().wait();
  }

  std::size_t OpenConnections() {
    std::size_t open = 0;
    OnIo([&] { open = server_->open_connections(); });
    return open;
  }

  // Awaits a condition on the server (10 s at most) instead of sleeping a guessed time.
  bool WaitForOpenConnections(std::size_t expected) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (OpenConnections() == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  std::string Exchange(std::string_view request, bool* closed = nullptr) {
    Client client(port_);
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.Send(request));
    return client.ReadToEnd(closed);
  }

  Response Get(const std::string& target, const std::string& method = "GET") {
    return ParseResponse(Exchange(method + " " + target +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n"));
  }

  std::optional<HttpRequest> LastRequest() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::unique_ptr<HttpServer> server_;
  std::thread io_thread_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::optional<HttpRequest> last_request_;  // guarded by mutex_
};

TEST_F(HttpServerTest, GetReturnsHandlerStatusTypeAndBody) {
  Start();
  bool closed = false;
  Response response = ParseResponse(
      Exchange("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", &closed));
  EXPECT_TRUE(closed);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["content-type"], kMetricsType);
  EXPECT_EQ(response.headers["content-length"], std::to_string(kHelloBody.size()));
  EXPECT_EQ(response.headers["connection"], "close");
  EXPECT_TRUE(response.headers["date"].ends_with(" GMT"));
  EXPECT_EQ(response.body, kHelloBody);

  auto request = LastRequest();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->path, "/hello");
  EXPECT_EQ(request->Header("accept").value_or(""), "*/*");

  Response not_ready = Get("/not-ready");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.headers["content-type"], "text/plain");
  EXPECT_EQ(not_ready.headers["content-length"], "10");
  EXPECT_EQ(not_ready.body, "not ready\n");
}

TEST_F(HttpServerTest, HeadHasHeadersButNoBody) {
  Start();
  Response response = Get("/hello", "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["content-type"], kMetricsType);
  EXPECT_EQ(response.headers["content-length"], std::to_string(kHelloBody.size()));
  EXPECT_EQ(response.body, "");
  auto request = LastRequest();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "HEAD");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  Start();
  Response response = Get("/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers["content-length"], std::to_string(response.body.size()));
  EXPECT_FALSE(response.body.empty());
  Response head = Get("/nope", "HEAD");
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.body, "");
  EXPECT_FALSE(LastRequest().has_value());
}

TEST_F(HttpServerTest, OtherMethodsAre405WithAllow) {
  Start();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    Response response = Get("/hello", method);
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(response.headers["allow"], "GET, HEAD") << method;
    EXPECT_EQ(response.headers["content-length"], std::to_string(response.body.size()));
  }
  // A POST with a body is still answered (405), and its body drained rather than reset.
  Response with_body = ParseResponse(
      Exchange("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world"));
  EXPECT_EQ(with_body.status, 405);
  EXPECT_FALSE(LastRequest().has_value());
}

TEST_F(HttpServerTest, GarbageIs400AndClosed) {
  Start();
  for (std::string_view garbage : {
           std::string_view("garbage\r\n\r\n"), std::string_view("GET /hello\r\n\r\n"),
           std::string_view("GET /hello HTTP/1.1\r\nHost a\r\n\r\n"),
           std::string_view("GET /hello HTTP/1.1\r\n\r\n"),  // HTTP/1.1 without Host
           std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 13),  // TLS
       }) {
    bool closed = false;
    Response response = ParseResponse(Exchange(garbage, &closed));
    EXPECT_EQ(response.status, 400) << garbage;
    EXPECT_EQ(response.headers["connection"], "close");
    EXPECT_TRUE(closed) << garbage;
  }
  EXPECT_FALSE(LastRequest().has_value());
  // Lenient where RFC 9112 allows: bare LF line ends, empty lines before the request line.
  EXPECT_EQ(ParseResponse(Exchange("\r\nGET /hello HTTP/1.0\n\n")).status, 200);
}

TEST_F(HttpServerTest, OversizedHeadersAre400) {
  Start();
  std::string big =
      "GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  bool closed = false;
  Response response = ParseResponse(Exchange(big, &closed));
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(closed);
  // Endless header lines without the blank line: answered once the cap is passed.
  std::string endless = "GET /hello HTTP/1.1\r\nHost: a\r\n";
  while (endless.size() < 12000) endless += "X-Header: value\r\n";
  EXPECT_EQ(ParseResponse(Exchange(endless)).status, 400);
  EXPECT_FALSE(LastRequest().has_value());

  // Just under the cap is fine.
  std::string under = "GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: ";
  under += std::string(8000 - under.size(), 'a') + "\r\n\r\n";
  EXPECT_EQ(ParseResponse(Exchange(under)).status, 200);
}

TEST_F(HttpServerTest, RequestBodyIsRejected) {
  Start();
  EXPECT_EQ(
      ParseResponse(Exchange("GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"))
          .status,
      413);
  EXPECT_EQ(ParseResponse(Exchange("GET /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                                   "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
                .status,
            413);
  EXPECT_EQ(
      ParseResponse(Exchange("GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")).status,
      400);
  EXPECT_FALSE(LastRequest().has_value());
  EXPECT_EQ(
      ParseResponse(Exchange("GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")).status,
      200);
}

TEST_F(HttpServerTest, QueryStringIsStrippedBeforeRouting) {
  Start();
  Response response = Get("/hello?name[]=up&x=%20");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, kHelloBody);
  auto request = LastRequest();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/hello");
  EXPECT_EQ(request->query, "name[]=up&x=%20");
  EXPECT_EQ(Get("/nope?/hello").status, 404);
}

TEST_F(HttpServerTest, OnlyOneRequestPerConnection) {
  Start();
  bool closed = false;
  std::string raw = Exchange(
      "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n", &closed);
  EXPECT_TRUE(closed);
  Response response = ParseResponse(raw);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, kHelloBody);  // the second request was not answered
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServerKeepsServing) {
  Start();
  Response response = Get("/throws");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, ManySequentialRequests) {
  Start();
  for (int i = 0; i < 300; ++i) {
    Response response = Get(i % 2 == 0 ? "/hello" : "/not-ready");
    ASSERT_EQ(response.status, i % 2 == 0 ? 200 : 503) << "request " << i;
  }
  EXPECT_TRUE(WaitForOpenConnections(0));
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTimeout) {
  Start(HttpServerOptions{.read_timeout_ms = 200});
  Client idle(port_);
  ASSERT_TRUE(idle.connected());
  bool closed = false;
  EXPECT_EQ(idle.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);

  // A slow drip of a request is held to the same deadline for the whole head.
  Client slow(port_);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\n"));
  EXPECT_EQ(slow.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_TRUE(WaitForOpenConnections(0));
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapAre503) {
  Start(HttpServerOptions{.max_connections = 1});
  Client holder(port_);
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(WaitForOpenConnections(1));

  Client over(port_);
  ASSERT_TRUE(over.connected());
  bool closed = false;
  Response response = ParseResponse(over.ReadToEnd(&closed));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(closed);
  EXPECT_EQ(OpenConnections(), 1u);

  holder.Close();
  ASSERT_TRUE(WaitForOpenConnections(0));
  EXPECT_EQ(Get("/hello").status, 200);
}

TEST_F(HttpServerTest, StopClosesListenerAndConnections) {
  Start();
  Client idle(port_);
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(WaitForOpenConnections(1));

  std::uint16_t port = port_;
  OnIo([this] { server_->Stop(); });
  bool closed = false;
  EXPECT_EQ(idle.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(OpenConnections(), 0u);
  OnIo([this] { EXPECT_EQ(server_->port(), 0); });
  Client refused(port);
  EXPECT_FALSE(refused.connected());
  OnIo([this] { server_->Stop(); });  // idempotent
}

TEST_F(HttpServerTest, HandlerMayStopTheServer) {
  Start();
  bool closed = false;
  std::string raw = Exchange("GET /stop HTTP/1.1\r\nHost: a\r\n\r\n", &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(raw, "");  // its own connection was closed with the rest
  Client refused(port_);
  EXPECT_FALSE(refused.connected());
}

TEST(HttpServerListen, RejectsANonNumericAddress) {
  asio::io_context io;
  HttpServer server(io);
  auto result = server.Listen("localhost", 0);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().stage, Stage::kConfig);
  EXPECT_EQ(server.port(), 0);
}

TEST(HttpServerListen, PortInUseIsAnError) {
  asio::io_context io;
  HttpServer first(io);
  ASSERT_TRUE(first.Listen("127.0.0.1", 0));
  HttpServer second(io);
  auto result = second.Listen("127.0.0.1", first.port());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().message.find(std::to_string(first.port())), std::string::npos)
      << result.error().message;
  // The first one cannot listen twice either.
  EXPECT_FALSE(first.Listen("127.0.0.1", 0));
}

TEST(HttpServerListen, ListensOnIpv6Loopback) {
  asio::io_context io;
  HttpServer server(io);
  auto result = server.Listen("::1", 0);
  if (!result) GTEST_SKIP() << "no IPv6 loopback here: " << result.error().Describe();
  EXPECT_NE(server.port(), 0);
}

// Destroying the server with its io_context still holding its completions (an accept in flight, a
// connection mid-request) must leave nothing dangling: they run later and find it stopped.
TEST(HttpServerLifetime, DestroyedBeforeItsIoContextRuns) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    HttpServer server(io);
    server.Route("/hello", [](const HttpRequest&) { return HttpResponse{}; });
    ASSERT_TRUE(server.Listen("127.0.0.1", 0));
    port = server.port();
    Client client(port);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"));
    io.run_for(std::chrono::milliseconds(20));  // accepts, maybe reads
  }
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  Client refused(port);
  EXPECT_FALSE(refused.connected());
}

}  // namespace
}  // namespace newswire::http
