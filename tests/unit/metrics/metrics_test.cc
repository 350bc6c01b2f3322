#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daemon/metrics/metric.h"
#include "daemon/metrics/registry.h"
#include "daemon/metrics/text_format.h"

namespace newswire::metrics {
namespace {

using ::testing::HasSubstr;

std::string FormatDouble(double value) {
  std::string out;
  AppendDouble(out, value);
  return out;
}

TEST(MetricsRegistry, CounterWithLabelsRendersExactText) {
  Registry registry;
  CounterFamily& published =
      registry.Counter("newswire_articles_published_total", "Articles published", {"topic"});
  // Created out of order: children render in label order.
  published.WithLabels({"news.articles.tagged"}).Add(41);
  published.WithLabels({"news.articles.tagged"}).Increment();
  published.WithLabels({"news.articles.dead"}).Increment();

  EXPECT_EQ(registry.Render(),
            "# HELP newswire_articles_published_total Articles published\n"
            "# TYPE newswire_articles_published_total counter\n"
            "newswire_articles_published_total{topic=\"news.articles.dead\"} 1\n"
            "newswire_articles_published_total{topic=\"news.articles.tagged\"} 42\n");
}

TEST(MetricsRegistry, UnlabelledCounterRendersZeroBeforeFirstUpdate) {
  Registry registry;
  registry.Counter("newswire_restarts_total", "Restarts");
  EXPECT_EQ(registry.Render(),
            "# HELP newswire_restarts_total Restarts\n"
            "# TYPE newswire_restarts_total counter\n"
            "newswire_restarts_total 0\n");
  registry.Counter("newswire_restarts_total", "Restarts").Get().Add(18446744073709551615ULL);
  EXPECT_THAT(registry.Render(), HasSubstr("newswire_restarts_total 18446744073709551615\n"));
}

TEST(MetricsRegistry, LabelledFamilyWithoutChildrenRendersOnlyItsHeader) {
  Registry registry;
  registry.Counter("newswire_errors_total", "Errors", {"stage"});
  EXPECT_EQ(registry.Render(),
            "# HELP newswire_errors_total Errors\n"
            "# TYPE newswire_errors_total counter\n");
}

TEST(MetricsRegistry, GaugeRendersExactText) {
  Registry registry;
  GaugeFamily& in_flight =
      registry.Gauge("newswire_in_flight_bytes", "Bytes in flight", {"source", "kind"});
  Gauge& directory = in_flight.WithLabels({"inbox", "directory"});
  directory.Set(1024);
  directory.Add(-24);
  Gauge& kafka = in_flight.WithLabels({"articles", "kafka"});
  kafka.Set(2.5);
  kafka.Add(0.25);
  registry.Gauge("newswire_up", "Whether the daemon runs").Get().Set(1);

  EXPECT_EQ(registry.Render(),
            "# HELP newswire_in_flight_bytes Bytes in flight\n"
            "# TYPE newswire_in_flight_bytes gauge\n"
            "newswire_in_flight_bytes{source=\"articles\",kind=\"kafka\"} 2.75\n"
            "newswire_in_flight_bytes{source=\"inbox\",kind=\"directory\"} 1000\n"
            "# HELP newswire_up Whether the daemon runs\n"
            "# TYPE newswire_up gauge\n"
            "newswire_up 1\n");
}

TEST(MetricsRegistry, HistogramWithLabelsRendersCumulativeBucketsSumAndCount) {
  Registry registry;
  HistogramFamily& latency = registry.Histogram("newswire_publish_latency_seconds",
                                                "Time to publish", {"topic"}, {0.5, 1, 2.5});
  Histogram& tagged = latency.WithLabels({"tagged"});
  for (const double seconds : {0.25, 0.5, 0.75, 2.0, 100.0}) tagged.Observe(seconds);
  latency.WithLabels({"dead"});  // no observations: every bucket 0

  EXPECT_EQ(registry.Render(),
            "# HELP newswire_publish_latency_seconds Time to publish\n"
            "# TYPE newswire_publish_latency_seconds histogram\n"
            "newswire_publish_latency_seconds_bucket{topic=\"dead\",le=\"0.5\"} 0\n"
            "newswire_publish_latency_seconds_bucket{topic=\"dead\",le=\"1\"} 0\n"
            "newswire_publish_latency_seconds_bucket{topic=\"dead\",le=\"2.5\"} 0\n"
            "newswire_publish_latency_seconds_bucket{topic=\"dead\",le=\"+Inf\"} 0\n"
            "newswire_publish_latency_seconds_sum{topic=\"dead\"} 0\n"
            "newswire_publish_latency_seconds_count{topic=\"dead\"} 0\n"
            "newswire_publish_latency_seconds_bucket{topic=\"tagged\",le=\"0.5\"} 2\n"
            "newswire_publish_latency_seconds_bucket{topic=\"tagged\",le=\"1\"} 3\n"
            "newswire_publish_latency_seconds_bucket{topic=\"tagged\",le=\"2.5\"} 4\n"
            "newswire_publish_latency_seconds_bucket{topic=\"tagged\",le=\"+Inf\"} 5\n"
            "newswire_publish_latency_seconds_sum{topic=\"tagged\"} 103.5\n"
            "newswire_publish_latency_seconds_count{topic=\"tagged\"} 5\n");
}

TEST(MetricsRegistry, HistogramWithoutLabelsHasOnlyLe) {
  Registry registry;
  Histogram& size =
      registry.Histogram("newswire_article_bytes", "Article size", {}, {1024, 65536}).Get();
  size.Observe(2048);
  size.Observe(std::numeric_limits<double>::infinity());

  EXPECT_EQ(registry.Render(),
            "# HELP newswire_article_bytes Article size\n"
            "# TYPE newswire_article_bytes histogram\n"
            "newswire_article_bytes_bucket{le=\"1024\"} 0\n"
            "newswire_article_bytes_bucket{le=\"65536\"} 1\n"
            "newswire_article_bytes_bucket{le=\"+Inf\"} 2\n"
            "newswire_article_bytes_sum +Inf\n"
            "newswire_article_bytes_count 2\n");
}

TEST(MetricsHistogram, BucketsAreCumulativeAndInfCountsEverything) {
  Registry registry;
  Histogram& histogram =
      registry.Histogram("h_seconds", "h", {}, DefaultLatencyBucketsSeconds()).Get();
  histogram.Observe(-1.0);     // below every bound: first bucket
  histogram.Observe(0.0005);   // on the first bound: first bucket (le is inclusive)
  histogram.Observe(0.00051);  // just above: second bucket
  histogram.Observe(10.0);     // on the last bound
  histogram.Observe(11.0);     // above every bound: +Inf only
  histogram.Observe(std::nan(""));

  const HistogramSnapshot snapshot = histogram.Snapshot();
  ASSERT_EQ(snapshot.cumulative_counts.size(), DefaultLatencyBucketsSeconds().size() + 1);
  EXPECT_EQ(snapshot.cumulative_counts.front(), 2u);
  EXPECT_EQ(snapshot.cumulative_counts[1], 3u);
  EXPECT_EQ(snapshot.cumulative_counts[snapshot.cumulative_counts.size() - 2], 4u);
  EXPECT_EQ(snapshot.cumulative_counts.back(), 6u);
  EXPECT_EQ(snapshot.count, 6u);
  EXPECT_TRUE(std::isnan(snapshot.sum));
  for (std::size_t i = 1; i < snapshot.cumulative_counts.size(); ++i) {
    EXPECT_LE(snapshot.cumulative_counts[i - 1], snapshot.cumulative_counts[i]);
  }
  EXPECT_THAT(registry.Render(), HasSubstr("h_seconds_sum NaN\n"));
}

TEST(MetricsHistogram, BucketHelpers) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(ExponentialBuckets(0.001, 10, 1), (std::vector<double>{0.001}));
  EXPECT_THROW(ExponentialBuckets(0, 2, 4), std::invalid_argument);
  EXPECT_THROW(ExponentialBuckets(1, 1, 4), std::invalid_argument);
  EXPECT_THROW(ExponentialBuckets(1, 2, 0), std::invalid_argument);
  EXPECT_THROW(ExponentialBuckets(1e300, 1e10, 3), std::invalid_argument);  // overflows to +Inf

  const std::vector<double> latency = DefaultLatencyBucketsSeconds();
  EXPECT_EQ(latency.front(), 0.0005);
  EXPECT_EQ(latency.back(), 10.0);
  EXPECT_NO_THROW(ValidateBucketUpperBounds(latency));
}

TEST(MetricsHistogram, InvalidBucketsThrowAndTrailingInfIsDropped) {
  Registry registry;
  EXPECT_THROW(registry.Histogram("a_seconds", "a", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.Histogram("b_seconds", "b", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.Histogram("c_seconds", "c", {}, {1, std::nan("")}), std::invalid_argument);
  EXPECT_THROW(registry.Histogram("d_seconds", "d", {}, {-std::numeric_limits<double>::infinity()}),
               std::invalid_argument);
  const double inf = std::numeric_limits<double>::infinity();
  HistogramFamily& family = registry.Histogram("e_seconds", "e", {}, {1, inf});
  EXPECT_EQ(family.bucket_upper_bounds(), std::vector<double>{1});
  EXPECT_EQ(&registry.Histogram("e_seconds", "e", {}, {1}), &family);
  registry.Histogram("f_seconds", "f", {}, {});  // only +Inf
  EXPECT_THAT(registry.Render(), HasSubstr("f_seconds_bucket{le=\"+Inf\"} 0\n"
                                           "f_seconds_sum 0\n"
                                           "f_seconds_count 0\n"));
}

TEST(MetricsTextFormat, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.Counter("newswire_files_total", "Files seen in C:\\feeds\nper \"origin\"", {"path"})
      .WithLabels({"C:\\in\"box\"\nnew"})
      .Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP newswire_files_total Files seen in C:\\\\feeds\\nper \"origin\"\n"
            "# TYPE newswire_files_total counter\n"
            "newswire_files_total{path=\"C:\\\\in\\\"box\\\"\\nnew\"} 1\n");
}

TEST(MetricsTextFormat, NumbersAreWrittenAsPrometheusParsesThem) {
  EXPECT_EQ(FormatDouble(0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(3), "3");
  EXPECT_EQ(FormatDouble(-42), "-42");
  EXPECT_EQ(FormatDouble(100000), "100000");
  EXPECT_EQ(FormatDouble(9007199254740993.0), "9007199254740992");
  EXPECT_EQ(FormatDouble(1e20), "100000000000000000000");
  EXPECT_EQ(FormatDouble(1e21), "1e+21");
  EXPECT_EQ(FormatDouble(2.5), "2.5");
  EXPECT_EQ(FormatDouble(0.0005), "0.0005");
  EXPECT_EQ(FormatDouble(0.0001), "0.0001");
  EXPECT_EQ(FormatDouble(0.00001), "1e-05");
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatDouble(std::nan("")), "NaN");
  // Every finite value reads back as the same double.
  for (const double value : {1e-300, 6.02214076e23, 123456.789, -0.000123, 5e-324}) {
    EXPECT_EQ(std::strtod(FormatDouble(value).c_str(), nullptr), value) << FormatDouble(value);
  }
  std::string out;
  AppendInteger(out, 0);
  out += ' ';
  AppendInteger(out, 18446744073709551615ULL);
  EXPECT_EQ(out, "0 18446744073709551615");
}

TEST(MetricsRegistry, ConcurrentUpdatesSumExactly) {
  constexpr int kThreads = 8;
  constexpr int kUpdatesPerThread = 100000;
  Registry registry;
  CounterFamily& counters = registry.Counter("c_total", "c", {"topic"});
  Counter& shared = counters.WithLabels({"shared"});
  Gauge& gauge = registry.Gauge("g", "g").Get();
  Histogram& histogram = registry.Histogram("h", "h", {}, {0.5, 1.5}).Get();

  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Children created while other threads update and render.
      Counter& own = counters.WithLabels({"thread" + std::to_string(t)});
      for (int i = 0; i < kUpdatesPerThread; ++i) {
        shared.Increment();
        own.Add(2);
        gauge.Add(1.0);
        histogram.Observe(i % 2 == 0 ? 1.0 : 2.0);
      }
    });
  }
  std::thread renderer([&] {
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(registry.Render().empty());
  });
  for (std::thread& thread : threads) thread.join();
  renderer.join();

  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kUpdatesPerThread;
  EXPECT_EQ(shared.value(), kTotal);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(counters.WithLabels({"thread" + std::to_string(t)}).value(), 2u * kUpdatesPerThread);
  }
  EXPECT_EQ(gauge.value(), static_cast<double>(kTotal));
  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.count, kTotal);
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<std::uint64_t>{0, kTotal / 2, kTotal}));
  EXPECT_EQ(snapshot.sum, 1.5 * static_cast<double>(kTotal));
  EXPECT_THAT(registry.Render(), HasSubstr("c_total{topic=\"shared\"} 800000\n"));
}

TEST(MetricsRegistry, ChildReferencesStayValidAsFamiliesGrow) {
  Registry registry;
  CounterFamily& family = registry.Counter("c_total", "c", {"partition"});
  Counter& first = family.WithLabels({"0"});
  for (int partition = 1; partition < 1000; ++partition) {
    family.WithLabels({std::to_string(partition)});
    registry.Gauge("g" + std::to_string(partition), "g");
  }
  EXPECT_EQ(&family.WithLabels({"0"}), &first);
  EXPECT_EQ(&registry.Counter("c_total", "c", {"partition"}), &family);
}

TEST(MetricsRegistry, CollectedGaugeReadsValuesAtRenderTime) {
  Registry registry;
  int calls = 0;
  double lag = 7;
  registry.CollectedGauge(
      "newswire_consumer_lag_records", "Records behind the end", {"topic", "partition"}, [&] {
        ++calls;
        return CollectedSamples{
            {{"articles", "10"}, lag}, {{"articles", "2"}, 0.5}, {{"alerts", "0"}, 0}};
      });
  registry.CollectedCounter("newswire_queue_drops_total", "Dropped", {}, [] {
    return CollectedSamples{{{}, 12}};
  });
  EXPECT_EQ(calls, 0);  // not at registration

  const std::string expected_before =
      "# HELP newswire_consumer_lag_records Records behind the end\n"
      "# TYPE newswire_consumer_lag_records gauge\n"
      "newswire_consumer_lag_records{topic=\"alerts\",partition=\"0\"} 0\n"
      "newswire_consumer_lag_records{topic=\"articles\",partition=\"10\"} 7\n"
      "newswire_consumer_lag_records{topic=\"articles\",partition=\"2\"} 0.5\n"
      "# HELP newswire_queue_drops_total Dropped\n"
      "# TYPE newswire_queue_drops_total counter\n"
      "newswire_queue_drops_total 12\n";
  EXPECT_EQ(registry.Render(), expected_before);
  EXPECT_EQ(calls, 1);
  lag = 9;
  EXPECT_THAT(registry.Render(),
              HasSubstr("newswire_consumer_lag_records{topic=\"articles\",partition=\"10\"} 9\n"));
  EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistry, CollectedCallbackMayRegisterWhileRendering) {
  Registry registry;
  registry.CollectedGauge("a", "a", {}, [&registry] {
    registry.Counter("late_total", "registered from a collector");
    return CollectedSamples{{{}, 1}};
  });
  EXPECT_THAT(registry.Render(), HasSubstr("a 1\n"));
  EXPECT_THAT(registry.Render(), HasSubstr("late_total 0\n"));
}

TEST(MetricsRegistry, BadCollectedSamplesMakeRenderThrow) {
  {
    Registry registry;
    registry.CollectedGauge("g", "g", {"partition"}, [] {
      return CollectedSamples{{{"0", "extra"}, 1}};
    });
    EXPECT_THROW(registry.Render(), std::logic_error);
  }
  {
    Registry registry;
    registry.CollectedGauge("g", "g", {"partition"}, [] {
      return CollectedSamples{{{"0"}, 1}, {{"0"}, 2}};
    });
    EXPECT_THROW(registry.Render(), std::logic_error);
  }
  {
    Registry registry;
    registry.CollectedGauge("g", "g", {},
                            []() -> CollectedSamples { throw std::runtime_error("broker gone"); });
    EXPECT_THROW(registry.Render(), std::runtime_error);
  }
  Registry registry;
  EXPECT_THROW(registry.CollectedGauge("g", "g", {}, nullptr), std::invalid_argument);
}

TEST(MetricsRegistry, DuplicateRegistrationSemantics) {
  Registry registry;
  CounterFamily& counter = registry.Counter("x_total", "x", {"topic"});
  EXPECT_EQ(&registry.Counter("x_total", "x", {"topic"}), &counter);
  EXPECT_THROW(registry.Gauge("x_total", "x", {"topic"}), std::invalid_argument);
  EXPECT_THROW(registry.Histogram("x_total", "x", {"topic"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.Counter("x_total", "x", {"partition"}), std::invalid_argument);
  EXPECT_THROW(registry.Counter("x_total", "x", {}), std::invalid_argument);
  EXPECT_THROW(registry.Counter("x_total", "other help", {"topic"}), std::invalid_argument);
  EXPECT_THROW(
      registry.CollectedCounter("x_total", "x", {"topic"}, [] { return CollectedSamples{}; }),
      std::invalid_argument);

  HistogramFamily& histogram = registry.Histogram("y_seconds", "y", {}, {1, 2});
  EXPECT_EQ(&registry.Histogram("y_seconds", "y", {}, {1, 2}), &histogram);
  EXPECT_THROW(registry.Histogram("y_seconds", "y", {}, {1, 3}), std::invalid_argument);
  // A histogram's series names are taken too, in both directions.
  EXPECT_THROW(registry.Counter("y_seconds_count", "c"), std::invalid_argument);
  EXPECT_THROW(registry.Gauge("y_seconds_sum", "s"), std::invalid_argument);
  registry.Gauge("z_bucket", "z");
  EXPECT_THROW(registry.Histogram("z", "z", {}, {1}), std::invalid_argument);

  registry.CollectedGauge("w", "w", {}, [] { return CollectedSamples{}; });
  EXPECT_THROW(registry.CollectedGauge("w", "w", {}, [] { return CollectedSamples{}; }),
               std::invalid_argument);
  EXPECT_THROW(registry.Gauge("w", "w"), std::invalid_argument);

  // Failed registrations left nothing behind.
  EXPECT_EQ(registry.Render(),
            "# HELP x_total x\n# TYPE x_total counter\n"
            "# HELP y_seconds y\n# TYPE y_seconds histogram\n"
            "y_seconds_bucket{le=\"1\"} 0\ny_seconds_bucket{le=\"2\"} 0\n"
            "y_seconds_bucket{le=\"+Inf\"} 0\ny_seconds_sum 0\ny_seconds_count 0\n"
            "# HELP z_bucket z\n# TYPE z_bucket gauge\nz_bucket 0\n"
            "# HELP w w\n# TYPE w gauge\n");
}

TEST(MetricsRegistry, InvalidNamesThrowAtRegistration) {
  Registry registry;
  for (const char* name : {"", "1st", "a-b", "a b", "a.b", "ünicode", "a{b"}) {
    EXPECT_THROW(registry.Counter(name, "h"), std::invalid_argument) << name;
    EXPECT_THROW(registry.CollectedGauge(name, "h", {}, [] { return CollectedSamples{}; }),
                 std::invalid_argument)
        << name;
  }
  for (const char* label : {"", "1a", "a:b", "a-b", "__reserved", "a b"}) {
    EXPECT_THROW(registry.Gauge("g", "h", {label}), std::invalid_argument) << label;
  }
  EXPECT_THROW(registry.Gauge("g", "h", {"topic", "topic"}), std::invalid_argument);
  EXPECT_THROW(registry.Histogram("h", "h", {"le"}, {1}), std::invalid_argument);
  EXPECT_NO_THROW(registry.Gauge("le_gauge", "h", {"le"}));  // only histograms reserve le
  EXPECT_NO_THROW(registry.Counter("ns:sub_system:x_total", "h", {"_private", "Topic9"}));
  EXPECT_NO_THROW(registry.Counter("_x", "h"));

  EXPECT_TRUE(IsValidMetricName(":a"));
  EXPECT_FALSE(IsValidLabelName(":a"));
}

TEST(MetricsRegistry, WrongNumberOfLabelValuesThrows) {
  Registry registry;
  CounterFamily& family = registry.Counter("c_total", "c", {"topic", "partition"});
  EXPECT_THROW(family.WithLabels({"articles"}), std::invalid_argument);
  EXPECT_THROW(family.WithLabels({"articles", "0", "x"}), std::invalid_argument);
  EXPECT_THROW(family.Get(), std::invalid_argument);
  EXPECT_THROW(registry.Counter("d_total", "d").WithLabels({"x"}), std::invalid_argument);
}

TEST(MetricsRegistry, RenderToAppendsAndKeepsRegistrationOrder) {
  Registry registry;
  registry.Gauge("zeta", "last letter, first registered");
  registry.Counter("alpha_total", "first letter, second registered");
  std::string out = "existing\n";
  registry.RenderTo(out);
  EXPECT_EQ(out,
            "existing\n"
            "# HELP zeta last letter, first registered\n# TYPE zeta gauge\nzeta 0\n"
            "# HELP alpha_total first letter, second registered\n"
            "# TYPE alpha_total counter\nalpha_total 0\n");
  EXPECT_EQ(kTextFormatContentType, "text/plain; version=0.0.4; charset=utf-8");
}

// promtool is the Prometheus project's own parser and linter (Debian's prometheus package, which
// deploy/install-deps.sh installs).
std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::string directories = path;
  std::size_t start = 0;
  while (start <= directories.size()) {
    const std::size_t end = std::min(directories.find(':', start), directories.size());
    const std::filesystem::path candidate =
        std::filesystem::path(directories.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

TEST(MetricsPromtool, CheckMetricsAcceptsRendering) {
  const std::string promtool = FindOnPath("promtool");
  ASSERT_FALSE(promtool.empty()) << "promtool is not on PATH: run deploy/install-deps.sh";

  Registry registry;
  registry.Counter("newswire_articles_published_total", "Articles published", {"topic"})
      .WithLabels({"news \"tagged\"\\\nsecond line"})
      .Add(3);
  registry.Gauge("newswire_in_flight_bytes", "Bytes in flight\\ with\nnewline").Get().Set(-2.5);
  HistogramFamily& latency =
      registry.Histogram("newswire_publish_latency_seconds", "Time to publish", {"topic"},
                         DefaultLatencyBucketsSeconds());
  latency.WithLabels({"a"}).Observe(0.003);
  latency.WithLabels({"b"}).Observe(42);
  registry.CollectedGauge("newswire_consumer_lag_records", "Records behind", {"partition"}, [] {
    return CollectedSamples{
        {{"0"}, std::numeric_limits<double>::infinity()}, {{"1"}, std::nan("")}, {{"2"}, 1e-7}};
  });

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("newswire_metrics_test_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream stream(file);
    stream << registry.Render();
  }
  const std::string command = "'" + promtool + "' check metrics < '" + file.string() + "' 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 256> buffer;
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << output << "\n--- rendering ---\n" << registry.Render();
}

}  // namespace
}  // namespace newswire::metrics
