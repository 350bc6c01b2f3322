// The Kafka broker of the end-to-end benchmark (tests/bench/run): librdkafka's mock cluster
// (EmbeddedBroker) in a process of its own, so newswire, kcat and the broker each show their own
// CPU time. Creates the topics given on the command line, prints the bootstrap servers on one
// line of stdout and serves until SIGTERM or SIGINT.
//
//   mock_broker [--partitions N] [--brokers N] TOPIC[:PARTITIONS]...
//
// The mock keeps only about 5 MiB per partition (oldest batches dropped), so a topic that must
// hold a whole corpus before it is consumed needs enough partitions: TOPIC:PARTITIONS.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/kafka/embedded_broker.h"

namespace {

constexpr char kUsage[] =
    "usage: mock_broker [--partitions N] [--brokers N] TOPIC[:PARTITIONS]...\n"
    "Starts librdkafka's mock cluster with these topics, prints its bootstrap servers on stdout\n"
    "and serves until SIGTERM or SIGINT. --partitions is the default per topic (4).\n";

// A positive int, or 0 when `text` is not one.
int ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 6) return 0;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + (c - '0');
  }
  return value;
}

struct Options {
  int partitions = 4;
  int brokers = 1;
  std::vector<newswire::kafka::TopicSpec> topics;
};

// Fills `options` from the command line; false (after printing why) when it is not valid.
bool ParseOptions(int argc, char** argv, Options& options) {
  std::vector<std::string_view> topic_args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--partitions" || arg == "--brokers") {
      const int value = i + 1 < argc ? ParseCount(argv[i + 1]) : 0;
      if (value < 1) {
        std::fprintf(stderr, "mock_broker: %s needs a positive number\n%s", argv[i], kUsage);
        return false;
      }
      (arg == "--partitions" ? options.partitions : options.brokers) = value;
      ++i;
      continue;
    }
    if (arg.starts_with("-")) {
      std::fprintf(stderr, "mock_broker: unknown option %s\n%s", argv[i], kUsage);
      return false;
    }
    topic_args.push_back(arg);
  }
  if (topic_args.empty()) {
    std::fprintf(stderr, "mock_broker: name at least one topic\n%s", kUsage);
    return false;
  }
  // Topics are parsed after the options so that --partitions applies wherever it is written.
  for (std::string_view arg : topic_args) {
    newswire::kafka::TopicSpec topic{std::string(arg), options.partitions};
    if (const auto colon = arg.rfind(':'); colon != std::string_view::npos) {
      topic.name = std::string(arg.substr(0, colon));
      topic.partitions = ParseCount(arg.substr(colon + 1));
      if (topic.partitions < 1) {
        std::fprintf(stderr, "mock_broker: bad partition count in '%s'\n%s",
                     std::string(arg).c_str(), kUsage);
        return false;
      }
    }
    options.topics.push_back(std::move(topic));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, options)) return 2;

  // Block the stop signals before the mock starts its threads (they inherit the mask), so that
  // only sigwait below receives them and the cluster is torn down on this thread. A shell starts
  // background jobs with SIGINT ignored: restore the default so that Ctrl-C still counts.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto broker = newswire::kafka::EmbeddedBroker::Start(options.brokers, options.topics);
  if (!broker) {
    std::fprintf(stderr, "mock_broker: %s\n", broker.error().Describe().c_str());
    return 1;
  }
  // The bench reads this one line to learn where the broker is: flush it at once.
  std::printf("%s\n", (*broker)->bootstrap_servers().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  broker->reset();
  return 0;
}
