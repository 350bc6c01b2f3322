// The operator endpoint of the real newswire binary, scraped over TCP like Prometheus and a load
// balancer would: /metrics follows the files and articles processed, /health turns 503 while the
// test's broker is down and 200 once it is back, /ready answers 200 once intake runs. The shipped
// alert rules and dashboard query only metrics that exist.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/http_client.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
  // promtool checks the rules themselves. deploy/install-deps.sh installs it (Debian's prometheus
  // package), so a missing promtool is a failure, not a reason to skip the check.
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool is not on PATH: run deploy/install-deps.sh";
  const std::string command = "promtool check rules " + (assets / "newswire-alerts.yml").string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

class OperatorEndpointTest : public DaemonFixture {
 protected:
  OperatorEndpointTest() : DaemonFixture({{kTopic, 2}, {kDeadLetterTopic, 1}}) {}

  void StartDaemon() {
    const fs::path config = temp_.path() / "newswire.yaml";
    WriteFile(config, DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker", "",
                                   "", "  properties:\n    statistics.interval.ms: \"200\"\n"));
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
  // Per pipeline stage: one observation per item, the empty file's included (decode only).
  EXPECT_EQ(Sample(metrics, R"(newswire_stage_duration_seconds_count{stage="decode"})"), 4);
  EXPECT_EQ(Sample(metrics, R"(newswire_stage_duration_seconds_count{stage="classify"})"), 4);
  EXPECT_GT(Sample(metrics, R"(newswire_stage_duration_seconds_sum{stage="classify"})"), 0);
  // Per feed directory: every file seen, claimed and finished; nothing waiting or in flight.
  for (const auto& [outcome, count] :
       {std::pair{"seen", 4}, {"claimed", 4}, {"completed", 3}, {"failed", 1}, {"retried", 0}}) {
    EXPECT_EQ(Sample(metrics, std::string(R"(newswire_directory_files_total{directory="inbox",)") +
                                  R"(outcome=")" + outcome + R"("})"),
              count)
        << outcome << "\n"
        << metrics;
  }
  EXPECT_EQ(Sample(metrics, R"(newswire_directory_pending_files{directory="inbox"})"), 0);
  EXPECT_EQ(Sample(metrics, "newswire_oldest_unacknowledged_item_age_seconds"), 0) << metrics;
  // From each file's modification time to its delivery: four observations, within the test's
  // duration.
  EXPECT_EQ(Sample(metrics, "newswire_end_to_end_latency_seconds_count"), 4) << metrics;
  EXPECT_GT(Sample(metrics, "newswire_end_to_end_latency_seconds_sum"), 0) << metrics;
  EXPECT_LT(Sample(metrics, "newswire_end_to_end_latency_seconds_sum"), 4 * 60) << metrics;
  EXPECT_GT(Sample(metrics, R"(newswire_output_bytes_total{topic="news.articles.tagged"})"), 300)
      << metrics;
  EXPECT_GT(Sample(metrics, R"(newswire_output_bytes_total{topic="news.articles.dead-letter"})"), 0)
      << metrics;
  // librdkafka's statistics (every 200 ms here): the broker is up and answered.
  const std::string broker = broker_->bootstrap_servers() + "/1";
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(address_, "/metrics").body;
        return Sample(metrics, R"(newswire_kafka_broker_up{broker=")" + broker + R"("})") == 1;
      },
      10s))
      << metrics;
  EXPECT_EQ(Sample(metrics, R"(newswire_kafka_broker_errors_total{broker=")" + broker + R"("})"), 0)
      << metrics;
  EXPECT_EQ(Sample(metrics, "newswire_kafka_producer_queue_bytes"), 0) << metrics;
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
