// The operator endpoint of the real newswire binary, scraped over TCP like Prometheus and a load
// balancer would: /metrics follows the files and articles processed, /health turns 503 while the
// test's broker is down and 200 once it is back, /ready answers 200 once intake runs. The shipped
// alert rules and dashboard query only metrics that exist.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTopic = "news.articles.tagged";
constexpr const char* kDeadLetterTopic = "news.articles.dead-letter";

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// One GET over a fresh TCP connection to "127.0.0.1:port"; the server closes after answering.
HttpReply HttpGet(const std::string& address, const std::string& path) {
  const std::size_t colon = address.rfind(':');
  const int port = std::stoi(address.substr(colon + 1));
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &target.sin_addr);
  HttpReply reply;
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    close(socket_fd);
    return reply;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  if (send(socket_fd, request.data(), request.size(), 0) < 0) {
    close(socket_fd);
    return reply;
  }
  std::string response;
  char buffer[4096];
  for (ssize_t received; (received = recv(socket_fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(received));
  }
  close(socket_fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0) return reply;
  reply.status = std::stoi(response.substr(9, 3));
  if (const std::size_t body = response.find("\r\n\r\n"); body != std::string::npos) {
    reply.body = response.substr(body + 4);
  }
  return reply;
}

// The value of the sample line that starts with `series` ("name" or "name{labels}"), or -1.
double Sample(const std::string& metrics, const std::string& series) {
  for (std::size_t start = 0; start < metrics.size();) {
    std::size_t end = metrics.find('\n', start);
    if (end == std::string::npos) end = metrics.size();
    const std::string line = metrics.substr(start, end - start);
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    start = end + 1;
  }
  return -1;
}

// Every newswire_* metric the shipped alert rules and dashboard (deploy/monitoring) query is one
// that /metrics exports: a renamed metric must not silence an alert.
void ExpectMonitoringAssetsUseExportedMetrics(const std::string& metrics) {
  const fs::path assets = fs::path(NEWSWIRE_SOURCE_DIR) / "deploy/monitoring";
  std::set<std::string> used;
  for (const char* file : {"newswire-alerts.yml", "newswire-dashboard.json"}) {
    const std::string text = ReadFile(assets / file);
    for (std::size_t found = text.find("newswire_"); found != std::string::npos;
         found = text.find("newswire_", found + 1)) {
      std::size_t end = found;
      while (end < text.size() &&
             (std::islower(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
        ++end;
      }
      used.insert(text.substr(found, end - found));
    }
  }
  EXPECT_GT(used.size(), 10u);
  for (std::string name : used) {
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) &&
          metrics.find("# TYPE " + name.substr(0, name.size() - suffix.size()) + " histogram") !=
              std::string::npos) {
        name.resize(name.size() - suffix.size());
      }
    }
    EXPECT_NE(metrics.find("# TYPE " + name + " "), std::string::npos)
        << name << " is used in deploy/monitoring but not exported";
  }
  // promtool, when installed (Debian's prometheus package), checks the rules themselves.
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    const std::string command =
        "promtool check rules " + (assets / "newswire-alerts.yml").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
}

class OperatorEndpointTest : public DaemonFixture {
 protected:
  OperatorEndpointTest() : DaemonFixture({{kTopic, 2}, {kDeadLetterTopic, 1}}) {}

  void StartDaemon() {
    const fs::path config = temp_.path() / "newswire.yaml";
    WriteFile(config, DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker"));
    daemon_ = std::make_unique<DaemonProcess>(config, temp_.path() / "newswire.log");
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 20s)) << daemon_->Log();
    address_ = ReadFile(temp_.path() / "http-address");
    while (!address_.empty() && address_.back() == '\n') address_.pop_back();
    ASSERT_FALSE(address_.empty());
  }

  std::string address_;
};

TEST_F(OperatorEndpointTest, MetricsFollowTheWorkAndHealthFollowsTheBroker) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(HttpGet(address_, "/ready").status, 200);
  const HttpReply healthy = HttpGet(address_, "/health");
  EXPECT_EQ(healthy.status, 200) << healthy.body;
  EXPECT_NE(healthy.body.find(R"("status":"ok")"), std::string::npos) << healthy.body;

  // Three articles and one file that is not an article.
  for (int index = 0; index < 3; ++index) {
    DropFile(feed_, "article-" + std::to_string(index) + ".txt",
             "Harbour report " + std::to_string(index) +
                 "\nThe port authority published its weekly figures on Monday.\n");
  }
  DropFile(feed_, "empty.txt", "");
  auto consumer = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  ASSERT_EQ((*consumer)->ReadAtLeast(3, 30s).size(), 3u) << daemon_->Log();
  std::string metrics;
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(address_, "/metrics").body;
        return Sample(metrics, "newswire_items_completed_total") == 3 &&
               Sample(metrics, "newswire_items_failed_total") == 1;
      },
      20s))
      << metrics;
  EXPECT_EQ(Sample(metrics, R"(newswire_events_published_total{topic="news.articles.tagged"})"), 3)
      << metrics;
  EXPECT_EQ(Sample(metrics, R"(newswire_dead_letters_total{stage="decode",reason="empty_input"})"),
            1)
      << metrics;
  EXPECT_EQ(Sample(metrics, "newswire_item_duration_seconds_count"), 4) << metrics;
  // The empty file went through the pipeline too (which rejected it).
  EXPECT_EQ(Sample(metrics, "newswire_pipeline_duration_seconds_count"), 4) << metrics;
  EXPECT_EQ(Sample(metrics, "newswire_in_flight_items"), 0) << metrics;
  EXPECT_EQ(Sample(metrics, "newswire_ready"), 1) << metrics;
  EXPECT_GT(Sample(metrics, "newswire_input_bytes_total"), 100) << metrics;
  EXPECT_GE(Sample(metrics, "newswire_kafka_unreachable_seconds"), 0) << metrics;
  ExpectMonitoringAssetsUseExportedMetrics(metrics);

  // The broker goes away: unhealthy after http.unhealthy_after_ms (2 s in tests), healthy again
  // once a probe reaches it.
  broker_->SetBrokerDown(1);
  HttpReply health;
  EXPECT_TRUE(WaitFor(
      [&] {
        health = HttpGet(address_, "/health");
        return health.status == 503;
      },
      20s))
      << health.status << " " << health.body;
  EXPECT_NE(health.body.find("unreachable"), std::string::npos) << health.body;
  broker_->SetBrokerUp(1);
  EXPECT_TRUE(WaitFor(
      [&] {
        health = HttpGet(address_, "/health");
        return health.status == 200;
      },
      20s))
      << health.status << " " << health.body;
  ASSERT_NO_FATAL_FAILURE(StopDaemonCleanly());
}

}  // namespace
}  // namespace newswire::testing
