#include "daemon/app/app.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "daemon/app/classifier_loader.h"
#include "daemon/app/event_digest.h"
#include "daemon/app/file_writer.h"
#include "daemon/app/logging.h"
#include "daemon/app/operator_endpoint.h"
#include "daemon/app/systemd_notifier.h"
#include "daemon/app/transaction_coordinator.h"
#include "daemon/kafka/embedded_broker.h"
#include "daemon/metrics/registry.h"
#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/encode/forward_encoder.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/sinks/dead_letter/dead_letter_encoder.h"
#include "daemon/sinks/kafka/kafka_sink.h"
#include "daemon/sources/directory/directory_source.h"
#include "daemon/sources/in_flight_budget.h"
#include "daemon/sources/kafka/kafka_source.h"
#include "daemon/state/article_store.h"

namespace newswire::app {
namespace {

// What a classifier holds, for the start-up and reload log lines.
std::string DescribeClassifier(const pipeline::Classifier& classifier,
                               const config::ClassifyConfig& classify) {
  std::string description = fmt::format(
      "{} IPTC Media Topics, {} topic rules ({} patterns)", classifier.taxonomy().size(),
      classifier.topic_rules().rule_count(), classifier.topic_rules().pattern_count());
  if (classifier.model() != nullptr) {
    description += fmt::format(", topic model {} ({} classes)", classify.model_file,
                               classifier.model()->codes().size());
  }
  return description;
}

using Clock = std::chrono::steady_clock;

// The per-event log line (log.events) shows this many topics and entities of each type.
constexpr std::size_t kLoggedListItems = 5;

// Counters the status line reports; written by worker, delivery and io threads.
struct Counters {
  std::atomic<std::uint64_t> items_completed{0};
  std::atomic<std::uint64_t> items_failed{0};
  std::atomic<std::uint64_t> items_retried{0};
  std::atomic<std::uint64_t> events_delivered{0};
  std::atomic<std::uint64_t> dead_letters_delivered{0};
  std::atomic<std::uint64_t> article_errors{0};
  std::atomic<std::uint64_t> delivery_failures{0};
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> reload_failures{0};
};

// Tracks one source item from dispatch until every record made from it (events and dead letters)
// has its final delivery report. `pending_` starts at 1 for the sending phase itself, so reports
// that arrive while later records are still being sent cannot finish the item early.
// Shared by the worker that sends and the sink's delivery thread; the outcome is applied on the io
// thread.
class ItemTracker {
 public:
  ItemTracker(sources::Source& source, std::uint64_t ticket, Origin origin,
              std::chrono::steady_clock::time_point handed_out,
              std::chrono::system_clock::time_point created_at)
      : source_(source),
        ticket_(ticket),
        origin_(std::move(origin)),
        handed_out_(handed_out),
        created_at_(created_at) {}

  void ExpectOne() { pending_.fetch_add(1, std::memory_order_relaxed); }

  // Returns true when this was the last outstanding record.
  bool Settle(const std::optional<Error>& failure) {
    if (failure) {
      std::lock_guard lock(mutex_);
      if (!delivery_failure_) delivery_failure_ = failure;
    }
    return pending_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  // The first rejection wins; later ones (another article, a too-large record) add nothing new.
  void SetRejection(const Error& error) {
    std::lock_guard lock(mutex_);
    if (!rejection_) rejection_ = error;
  }

  sources::Source& source() { return source_; }
  std::uint64_t ticket() const { return ticket_; }
  const Origin& origin() const { return origin_; }
  // When the source handed the item out, for the latency histogram.
  std::chrono::steady_clock::time_point handed_out() const { return handed_out_; }
  // When the item came into being (SourceItem::created_at; the epoch when unknown), for the
  // end-to-end latency histogram.
  std::chrono::system_clock::time_point created_at() const { return created_at_; }
  std::optional<Error> rejection() {
    std::lock_guard lock(mutex_);
    return rejection_;
  }
  std::optional<Error> delivery_failure() {
    std::lock_guard lock(mutex_);
    return delivery_failure_;
  }
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> dead_letters{0};

 private:
  sources::Source& source_;
  const std::uint64_t ticket_;
  const Origin origin_;
  const std::chrono::steady_clock::time_point handed_out_;
  const std::chrono::system_clock::time_point created_at_;
  std::atomic<std::int64_t> pending_{1};
  std::mutex mutex_;
  std::optional<Error> rejection_;         // guarded by mutex_
  std::optional<Error> delivery_failure_;  // guarded by mutex_
};

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

// Why the daemon could not start: the exit code for that cause (docs/operations.md, "Exit
// codes"), the cause in a few words for the log line, and the error.
struct StartFailure {
  int exit_code = kExitSoftware;
  std::string_view cause;
  Error error;
};

// What a record is, for what to do when Kafka refuses it as too large: an event or a dead letter
// with its payload is replaced by a dead letter without payload; that one is small and final.
enum class RecordKind { kEvent, kDeadLetter, kBareDeadLetter };

class App {
 public:
  App(const config::Config& config, PreparedStart prepared, const DaemonOptions& options)
      : config_(config),
        options_(options),
        live_config_(config),
        log_each_item_(LogIsTerminal()),
        log_events_(config.log.events),
        classifier_(std::move(prepared.classifier)),
        budget_(config.limits.max_in_flight_files, config.limits.max_in_flight_bytes),
        signals_(io_, SIGINT, SIGTERM),
        reload_signals_(io_, SIGHUP),
        start_timer_(io_),
        drain_timer_(io_),
        status_timer_(io_),
        watchdog_timer_(io_),
        broker_probe_timer_(io_) {}

  int Run();

 private:
  tl::expected<void, StartFailure> Build();
  void WaitForBroker();
  void StartSources();
  void OnItem(sources::Source& source, sources::SourceItem item);
  void ProcessItem(sources::Source& source, sources::SourceItem item, Clock::time_point handed_out);
  // `delivered` (a dead letter's stage and reason) counts the record once Kafka confirmed it.
  void SendTracked(const std::shared_ptr<ItemTracker>& tracker, OutboundEvent event,
                   RecordKind kind, metrics::Counter* delivered = nullptr);
  // `item_completed`: the item itself is published (some of its articles were), so a file ends
  // in done/, not in the failed/ place its origin's location names; the record names none.
  void SendDeadLetter(const std::shared_ptr<ItemTracker>& tracker, const Error& error,
                      const RawArticle& raw, std::size_t original_size,
                      bool item_completed = false);
  void ReplaceTooLargeRecord(const std::shared_ptr<ItemTracker>& tracker, const Error& error);
  // Any thread: one record of the item (or its sending phase, for FinishSending) has its final
  // outcome; the last one hands the item to the io thread for completion.
  void Settle(const std::shared_ptr<ItemTracker>& tracker, const std::optional<Error>& failure);
  void FinishSending(const std::shared_ptr<ItemTracker>& tracker) { Settle(tracker, std::nullopt); }
  void CompleteItem(const std::shared_ptr<ItemTracker>& tracker);
  // io thread: acknowledges, rejects or releases the item at its source.
  void FinishItem(const std::shared_ptr<ItemTracker>& tracker);
  void Shutdown(const std::string& reason);
  void Drain(Clock::time_point deadline);
  void FlushStep(Clock::time_point deadline);
  void Fatal(const Error& error);
  void ListenForReload();
  void Reload();
  // io thread: applies a config loaded at SIGHUP whose classifier loaded too.
  void ApplyReload(config::Config loaded, std::shared_ptr<const pipeline::Classifier> classifier,
                   std::chrono::milliseconds elapsed);
  // io thread: starts, stops or replaces feed directories so that they match `wanted`.
  void ReconcileDirectories(const std::vector<config::DirectorySourceConfig>& wanted);
  // io thread: a new DirectorySource and its pipeline (or forward topic), not started yet.
  std::unique_ptr<sources::DirectorySource> MakeDirectorySource(
      const config::DirectorySourceConfig& directory);
  void AddPipeline(const std::string& name, const config::JsonFieldNames& fields);
  // io thread: starts a source made after start-up (a reload added it); false when it failed.
  bool StartSource(sources::Source& source);
  // io thread: destroys retired sources with nothing left in flight, and starts the directories
  // that waited for them.
  void ReapRetiredSources();
  void ScheduleStatus();
  void ScheduleWatchdog(std::chrono::microseconds interval);
  std::string StatusLine() const;
  std::string SystemdStatus();
  std::string KafkaSourcesStatus() const;
  std::size_t InFlight() const;
  // io thread: the feed directories running or retired by a reload and still finishing.
  std::vector<const sources::DirectorySource*> DirectorySources() const;
  std::size_t PendingFiles() const;
  void RegisterMetrics();
  tl::expected<void, StartFailure> StartOperatorEndpoint();
  void ProbeBroker();
  std::vector<std::string> HealthProblems() const;

  // The config newswire started with: what needs a restart is always read from here.
  const config::Config& config_;
  const DaemonOptions options_;
  // The config last applied (io thread): start-up's, then each successful SIGHUP's. Read for
  // what a reload changes live (log, classify, feed directories).
  config::Config live_config_;
  const bool log_each_item_;
  std::atomic<bool> log_events_;  // log.events; read by the senders
  std::string source_uri_;

  // The classifier every pipeline uses (io thread); a reload replaces it.
  std::shared_ptr<const pipeline::Classifier> classifier_;
  // Declared first but for the classifier, destroyed last: everything below may hold handlers or
  // post into it.
  asio::io_context io_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<sinks::KafkaSink> sink_;
  // Shared by every pipeline; outlives the workers (declared before them).
  std::shared_ptr<state::ArticleStore> article_store_;
  // One per source, by source name: each feed directory has its own JSON field mapping. Sources
  // with `pipeline: forward` have their topic in forward_topics_ instead. Workers look them up
  // per item; the io thread adds and replaces entries when a reload changes the feed directories,
  // so both maps are guarded by pipelines_mutex_, and an item keeps its pipeline alive while it
  // runs (shared_ptr). Classifier swaps go through Pipeline::SetClassifier (atomic).
  std::mutex pipelines_mutex_;
  std::map<std::string, std::shared_ptr<pipeline::Pipeline>, std::less<>> pipelines_;
  std::map<std::string, std::string, std::less<>> forward_topics_;
  std::unique_ptr<asio::thread_pool> workers_;
  // io thread only: one strand on the workers per Kafka input partition (source, topic,
  // partition), made on its first record.
  using PartitionStrandKey = std::tuple<std::string, std::string, std::int32_t>;
  std::map<PartitionStrandKey, asio::strand<asio::thread_pool::executor_type>> partition_strands_;
  sources::InFlightBudget budget_;
  // Feed directories first, then Kafka sources, in config order; a reload appends directories.
  std::vector<std::unique_ptr<sources::Source>> sources_;
  // Feed directories a reload removed or replaced (io thread): stopped, kept until their items
  // in flight are done (their trackers refer to them), then destroyed.
  std::vector<std::unique_ptr<sources::Source>> retired_sources_;
  // Feed directories a reload added whose path or name is still held by a retired source: they
  // start once it is gone, so that two sources never share a processing/ directory.
  std::vector<std::unique_ptr<sources::DirectorySource>> waiting_sources_;
  std::vector<sources::KafkaSource*> kafka_sources_;  // the Kafka ones among sources_, for stats
  // Exactly-once mode only (kafka.exactly_once); null otherwise.
  std::unique_ptr<TransactionCoordinator> coordinator_;
  bool transactions_initialized_ = false;  // io thread only

  asio::signal_set signals_;
  asio::signal_set reload_signals_;  // SIGHUP: reload the config and the classifier's data
  bool reloading_ = false;           // io thread only
  asio::steady_timer start_timer_;
  asio::steady_timer drain_timer_;
  asio::steady_timer status_timer_;
  asio::steady_timer watchdog_timer_;
  SystemdNotifier notifier_;

  Counters counters_;
  // What GET /metrics renders. Families are registered in Build; hot paths keep pointers to
  // them (stable for the registry's life).
  metrics::Registry registry_;
  metrics::CounterFamily* published_ = nullptr;     // by topic
  metrics::CounterFamily* dead_letters_ = nullptr;  // by stage and reason
  metrics::CounterFamily* output_bytes_ = nullptr;  // by topic
  metrics::Histogram* item_seconds_ = nullptr;
  metrics::Histogram* end_to_end_seconds_ = nullptr;
  metrics::Histogram* pipeline_seconds_ = nullptr;
  // newswire_stage_duration_seconds, one per pipeline stage, in StageTimings order.
  std::array<metrics::Histogram*, 6> stage_seconds_{};
  std::unique_ptr<OperatorEndpoint> endpoint_;  // null when http.enabled is false
  // Health (io thread): when a metadata request last reached Kafka, and when an item last
  // completed. A probe runs on a worker every few seconds.
  asio::steady_timer broker_probe_timer_;
  bool broker_probe_running_ = false;
  Clock::time_point last_broker_ok_ = Clock::now();
  std::string last_broker_error_;  // why Kafka did not answer the last time; "" when it did
  Clock::time_point last_completion_ = Clock::now();
  Clock::time_point busy_since_ = Clock::now();  // when items were last handed out to an idle app
  bool idle_ = true;  // nothing was in flight after the last completion (io thread)
  std::string bootstrap_servers_;
  // The baseline of the rates in systemd's STATUS= (io thread).
  Clock::time_point status_since_ = Clock::now();
  std::uint64_t status_events_ = 0;
  std::uint64_t status_failed_ = 0;
  std::atomic<bool> fatal_{false};
  bool stopping_ = false;
  bool ready_ = false;
  int exit_code_ = kExitOk;
  Clock::time_point broker_wait_started_;
};

tl::expected<void, StartFailure> App::Build() {
  source_uri_ =
      config_.daemon.source_uri.empty() ? "newswire://" + HostName() : config_.daemon.source_uri;
  // First: a second newswire on the same state directory stops here (exit 75), before it starts
  // a broker or writes kafka.broker_file over the first one's.
  state::ArticleStoreOptions store_options;
  store_options.directory = (std::filesystem::path(config_.daemon.state_dir) / "articles").string();
  store_options.memory = MemoryOptionsFrom(config_);
  auto store = state::ArticleStore::Open(store_options);
  if (!store && store.error().code == ErrorCode::kInUse) {
    return tl::unexpected(StartFailure{
        kExitStateInUse, "daemon.state_dir is in use by another newswire", store.error()});
  }
  if (!store) {
    return tl::unexpected(
        StartFailure{kExitCannotCreate, "the article memory cannot be opened", store.error()});
  }
  article_store_ = std::move(*store);
  spdlog::info("article memory: {} recent articles from {} (window {} articles, {} days)",
               article_store_->replayed(), store_options.directory,
               config_.duplicates.window_articles,
               config_.duplicates.window_ms / (24 * 3600 * 1000));

  std::string bootstrap_servers = config_.kafka.brokers;
  if (config_.kafka.brokers == "embedded") {
    int partitions = static_cast<int>(config_.kafka.embedded_partitions);
    // The embedded broker also holds the topics Kafka sources read (a demo or a test feeds
    // them); a regular expression names no topic to create.
    std::vector<kafka::TopicSpec> topics = {{config_.kafka.topic, partitions},
                                            {config_.kafka.dead_letter_topic, partitions}};
    for (const auto& directory : config_.directories) {
      if (directory.pipeline == "forward") topics.push_back({directory.forward_topic, partitions});
    }
    for (const auto& source : config_.kafka_sources) {
      if (!source.brokers.empty() && source.brokers != "embedded") continue;
      for (const std::string& topic : source.topics) {
        if (!topic.starts_with('^')) topics.push_back({topic, partitions});
      }
    }
    // An edge and a consumer of its topic may run in one process (the demo): one topic each.
    std::sort(topics.begin(), topics.end(),
              [](const auto& left, const auto& right) { return left.name < right.name; });
    topics.erase(
        std::unique(topics.begin(), topics.end(),
                    [](const auto& left, const auto& right) { return left.name == right.name; }),
        topics.end());
    auto broker = kafka::EmbeddedBroker::Start(1, topics);
    if (!broker) {
      return tl::unexpected(StartFailure{
          kExitUnavailable, "the embedded Kafka broker did not start", broker.error()});
    }
    broker_ = std::move(*broker);
    bootstrap_servers = broker_->bootstrap_servers();
    spdlog::warn(
        "DEVELOPMENT BROKER: kafka.brokers is 'embedded', so events go to librdkafka's mock "
        "cluster inside this process at {} (in memory, lost at exit, not for production)",
        bootstrap_servers);
  }
  bootstrap_servers_ = bootstrap_servers;
  if (!config_.kafka.broker_file.empty()) {
    if (auto written = WriteFileAtomically(config_.kafka.broker_file, bootstrap_servers + "\n");
        !written) {
      return tl::unexpected(
          StartFailure{kExitCannotCreate, "cannot write kafka.broker_file", written.error()});
    }
    spdlog::info("bootstrap servers {} written to {}", bootstrap_servers,
                 config_.kafka.broker_file);
  }

  auto sink = sinks::KafkaSink::Create(
      KafkaSinkOptionsFrom(config_, bootstrap_servers),
      [this](const Error& error) { asio::post(io_, [this, error] { Fatal(error); }); });
  if (!sink) {
    return tl::unexpected(
        StartFailure{kExitUnavailable, "the Kafka producer cannot be made", sink.error()});
  }
  sink_ = std::move(*sink);

  std::size_t threads = config_.limits.pipeline_threads > 0
                            ? static_cast<std::size_t>(config_.limits.pipeline_threads)
                            : std::max(1u, std::thread::hardware_concurrency());
  workers_ = std::make_unique<asio::thread_pool>(threads);

  spdlog::info("classifier: {} from {}", DescribeClassifier(*classifier_, config_.classify),
               config_.classify.data_dir);

  for (const auto& directory : config_.directories) {
    sources_.push_back(MakeDirectorySource(directory));
  }
  for (const auto& source : config_.kafka_sources) {
    std::string brokers = source.brokers;
    // The loader refuses 'embedded' here unless kafka.brokers is 'embedded' too.
    if (brokers.empty() || brokers == "embedded") brokers = bootstrap_servers;
    AddPipeline(source.name, source.json_fields);
    auto kafka_source = std::make_unique<sources::KafkaSource>(
        io_, source, std::move(brokers), budget_, config_.daemon.retry_backoff_ms,
        config_.kafka.exactly_once);
    kafka_sources_.push_back(kafka_source.get());
    sources_.push_back(std::move(kafka_source));
  }
  if (config_.kafka.exactly_once) {
    coordinator_ = std::make_unique<TransactionCoordinator>(
        io_, *sink_, kafka_sources_,
        std::chrono::milliseconds(config_.kafka.transaction_interval_ms),
        [this](const Error& error) { Fatal(error); });
  }
  RegisterMetrics();
  return {};
}

// One pipeline per source: each has its own JSON field mapping.
void App::AddPipeline(const std::string& name, const config::JsonFieldNames& fields) {
  pipeline::PipelineOptions pipeline_options;
  pipeline_options.source_uri = source_uri_;
  pipeline_options.classifier = classifier_;
  pipeline_options.memory = article_store_;
  pipeline_options.max_articles_per_item =
      static_cast<std::size_t>(config_.limits.max_articles_per_item);
  pipeline_options.json_fields = JsonFieldMappingFrom(fields);
  auto made = std::make_shared<pipeline::Pipeline>(pipeline_options);
  std::lock_guard lock(pipelines_mutex_);
  forward_topics_.erase(name);
  pipelines_.insert_or_assign(name, std::move(made));
}

std::unique_ptr<sources::DirectorySource> App::MakeDirectorySource(
    const config::DirectorySourceConfig& directory) {
  if (directory.pipeline == "forward") {
    std::lock_guard lock(pipelines_mutex_);
    pipelines_.erase(directory.name);
    forward_topics_.insert_or_assign(directory.name, directory.forward_topic);
  } else {
    AddPipeline(directory.name, directory.json_fields);
  }
  return std::make_unique<sources::DirectorySource>(
      io_, directory, budget_, config_.daemon.retry_backoff_ms, workers_->get_executor());
}

int App::Run() {
  const auto cannot_start = [](const StartFailure& failure) {
    spdlog::critical("cannot start (exit {}: {}): {}", failure.exit_code, failure.cause,
                     failure.error.Describe());
    return failure.exit_code;
  };
  if (auto built = Build(); !built) return cannot_start(built.error());
  if (auto started = StartOperatorEndpoint(); !started) return cannot_start(started.error());
  signals_.async_wait([this](const asio::error_code& error, int signal_number) {
    if (error) return;
    Shutdown(signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  ListenForReload();
  broker_wait_started_ = Clock::now();
  asio::post(io_, [this] { WaitForBroker(); });
  if (auto interval = SystemdNotifier::WatchdogInterval()) ScheduleWatchdog(*interval);
  ScheduleStatus();
  io_.run();

  // Every handler is done or dropped; workers may still be sending if shutdown timed out.
  if (sink_) sink_->Stop();
  workers_->join();
  std::string final_status = StatusLine();
  coordinator_.reset();  // before the sources and the sink it calls
  // Kafka sources commit what was delivered and leave their groups while the brokers (the
  // embedded one included) are still there.
  kafka_sources_.clear();
  waiting_sources_.clear();
  retired_sources_.clear();
  sources_.clear();
  spdlog::info("newswire stopped: {}", final_status);
  // Torn down here, while the counters and trackers its last delivery reports touch still live.
  sink_.reset();
  broker_.reset();
  return exit_code_;
}

void App::WaitForBroker() {
  if (stopping_) return;
  const auto try_again_in_a_second = [this] {
    start_timer_.expires_after(std::chrono::seconds(1));
    start_timer_.async_wait([this](const asio::error_code& error) {
      if (!error) WaitForBroker();
    });
  };
  // Blocks the io thread for up to a second per attempt; nothing else runs before READY. An
  // unreachable cluster is waited for without end: it is the cluster's to come back, and
  // STATUS, /ready and /health say what newswire waits for meanwhile.
  if (auto connected = sink_->CheckConnection(1000); !connected) {
    auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - broker_wait_started_);
    last_broker_error_ = connected.error().message;
    spdlog::warn("waiting for Kafka ({}s so far): {}", waited.count(), last_broker_error_);
    notifier_.Status(fmt::format("waiting for Kafka at {} ({} s so far): {}", bootstrap_servers_,
                                 waited.count(), last_broker_error_));
    // Waiting is progress: without this, systemd would kill the start after TimeoutStartSec and
    // restart it, over and over, while the cluster is away.
    notifier_.ExtendTimeout(std::chrono::seconds(30));
    try_again_in_a_second();
    return;
  }
  last_broker_ok_ = Clock::now();
  last_broker_error_.clear();
  if (coordinator_ && !transactions_initialized_) {
    // Blocks the io thread like the check above; fences an older instance with the same id.
    if (auto initialized = sink_->InitTransactions(5000); !initialized) {
      if (initialized.error().code == ErrorCode::kFatal) {
        Fatal(initialized.error());
        return;
      }
      spdlog::warn("waiting for Kafka transactions: {}", initialized.error().message);
      try_again_in_a_second();
      return;
    }
    transactions_initialized_ = true;
    spdlog::info("exactly-once: transactional id {} registered with the cluster",
                 config_.kafka.transactional_id);
    coordinator_->Start();
  }
  StartSources();
}

void App::StartSources() {
  for (auto& source : sources_) {
    if (!StartSource(*source)) {
      spdlog::critical("cannot start (exit {}: a source failed to start): source {}",
                       kExitSourceFailed, source->name());
      exit_code_ = kExitSourceFailed;
      Shutdown("start-up failure");
      return;
    }
  }
  ready_ = true;
  // Directories a SIGHUP added while newswire still waited for Kafka start now.
  ReapRetiredSources();
  notifier_.Ready();
  notifier_.Status("running");
  const std::size_t directories = live_config_.directories.size();
  const std::size_t kafka_sources = config_.kafka_sources.size();
  spdlog::info(
      "newswire ready: {} feed director{} watched, {} Kafka source{} consumed, events to {}, "
      "dead letters to {}",
      directories, directories == 1 ? "y" : "ies", kafka_sources, kafka_sources == 1 ? "" : "s",
      config_.kafka.topic, config_.kafka.dead_letter_topic);
}

void App::OnItem(sources::Source& source, sources::SourceItem item) {
  counters_.bytes_read.fetch_add(item.raw.bytes.size(), std::memory_order_relaxed);
  // Directory items are handed out on a worker (after reading the file), Kafka items on the io
  // thread; the idle/busy state is io-thread state.
  asio::post(io_, [this] {
    if (!idle_) return;
    idle_ = false;
    busy_since_ = Clock::now();
  });
  // Records of one input partition are processed one after the other, so their events are sent
  // in the partition's order; different partitions run in parallel.
  std::optional<PartitionStrandKey> key;
  if (const Origin& origin = item.raw.origin; origin.kind == Origin::Kind::kKafka) {
    key.emplace(std::string(source.name()), origin.topic, origin.partition);
  }
  auto work = [this, &source, item = std::move(item), handed_out = Clock::now()]() mutable {
    ProcessItem(source, std::move(item), handed_out);
  };
  if (!key) {
    asio::post(*workers_, std::move(work));
    return;
  }
  auto strand = partition_strands_.find(*key);
  if (strand == partition_strands_.end()) {
    strand =
        partition_strands_.emplace(std::move(*key), asio::make_strand(workers_->get_executor()))
            .first;
  }
  asio::post(strand->second, std::move(work));
}

// Worker thread: runs the pure pipeline and hands every record to the sink.
void App::ProcessItem(sources::Source& source, sources::SourceItem item,
                      Clock::time_point handed_out) {
  auto tracker = std::make_shared<ItemTracker>(source, item.ticket, item.raw.origin, handed_out,
                                               item.created_at);
  if (item.rejection) {
    spdlog::error("rejected {}: {}", item.raw.origin.Describe(), item.rejection->Describe());
    tracker->SetRejection(*item.rejection);
    SendDeadLetter(tracker, *item.rejection, item.raw, item.original_size);
    FinishSending(tracker);
    return;
  }
  std::shared_ptr<const pipeline::Pipeline> pipeline;
  std::string forward_topic;
  {
    std::lock_guard lock(pipelines_mutex_);
    if (const auto found = pipelines_.find(source.name()); found != pipelines_.end()) {
      pipeline = found->second;
    } else if (const auto forward = forward_topics_.find(source.name());
               forward != forward_topics_.end()) {
      forward_topic = forward->second;
    }
  }
  if (!forward_topic.empty()) {
    SendTracked(tracker, pipeline::EncodeForwarded(std::move(item.raw), forward_topic, source_uri_),
                RecordKind::kEvent);
    FinishSending(tracker);
    return;
  }
  const auto pipeline_started = Clock::now();
  pipeline::StageTimings timings;
  auto processed = pipeline->Process(item.raw, std::chrono::system_clock::now(), &timings);
  pipeline_seconds_->Observe(
      std::chrono::duration<double>(Clock::now() - pipeline_started).count());
  const std::array stage_times = {timings.decode,   timings.normalize, timings.classify,
                                  timings.remember, timings.encode,    timings.route};
  for (std::size_t stage = 0; stage < stage_times.size(); ++stage) {
    stage_seconds_[stage]->Observe(std::chrono::duration<double>(stage_times[stage]).count());
  }
  if (!processed) {
    spdlog::error("rejected {}: {}", item.raw.origin.Describe(), processed.error().Describe());
    tracker->SetRejection(processed.error());
    SendDeadLetter(tracker, processed.error(), item.raw, item.original_size);
    FinishSending(tracker);
    return;
  }
  const auto events = static_cast<std::size_t>(std::count_if(
      processed->begin(), processed->end(), [](const auto& result) { return result.has_value(); }));
  std::optional<Error> first_article_error;
  for (auto& result : *processed) {
    if (result) {
      SendTracked(tracker, std::move(*result), RecordKind::kEvent);
    } else {
      // One bad article among several: dead-lettered, the others go on.
      counters_.article_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("rejected an article in {}: {}", item.raw.origin.Describe(),
                    result.error().Describe());
      if (!first_article_error) first_article_error = result.error();
      SendDeadLetter(tracker, result.error(), item.raw, item.original_size,
                     /*item_completed=*/events > 0);
    }
  }
  // Nothing publishable in it: the item itself failed (failed/, not done/).
  if (events == 0) {
    Error error = first_article_error.value_or(
        Error{Stage::kDecode, ErrorCode::kEmptyInput, "no article found in the input"});
    if (!first_article_error) {
      spdlog::error("rejected {}: {}", item.raw.origin.Describe(), error.Describe());
      SendDeadLetter(tracker, error, item.raw, item.original_size);
    }
    tracker->SetRejection(error);
  }
  FinishSending(tracker);
}

void App::SendTracked(const std::shared_ptr<ItemTracker>& tracker, OutboundEvent event,
                      RecordKind kind, metrics::Counter* delivered) {
  tracker->ExpectOne();
  const bool dead_letter = kind != RecordKind::kEvent;
  std::string description;
  if (log_events_.load(std::memory_order_relaxed) && !dead_letter) {
    if (event.channel == Channel::kEvents) {
      // What newswire understood, for the demo: parsed back from the value, once per event.
      const auto digest = DigestEvent(event.value, kLoggedListItems);
      description = fmt::format("key={} subject={} {}", event.key, event.Header("ce_subject"),
                                digest ? DigestLine(*digest) : "(value is not JSON)");
    } else if (event.channel == Channel::kRoute) {
      description = fmt::format("key={} (routed copy of the event)", event.key);
    } else {
      description =
          fmt::format("key={} (forwarded as it came, {} bytes)", event.key, event.value.size());
    }
  }
  const std::size_t record_bytes = event.key.size() + event.value.size();
  auto sent = sink_->Send(std::move(event), [this, tracker, kind, dead_letter, delivered,
                                             record_bytes, description = std::move(description)](
                                                const Result<sinks::DeliveryReport>& outcome) {
    std::optional<Error> failure;
    if (!outcome && outcome.error().code == ErrorCode::kTooLarge &&
        kind != RecordKind::kBareDeadLetter) {
      // Never deliverable as it is. Hold the item open, and let a worker (this is the
      // delivery thread, which must not call back into the sink) send a bare dead letter.
      tracker->ExpectOne();
      asio::post(*workers_, [this, tracker, error = outcome.error()] {
        ReplaceTooLargeRecord(tracker, error);
        FinishSending(tracker);
      });
    } else if (outcome) {
      if (delivered != nullptr) delivered->Increment();
      output_bytes_->WithLabels({outcome->topic}).Add(record_bytes);
      if (dead_letter) {
        tracker->dead_letters.fetch_add(1, std::memory_order_relaxed);
        counters_.dead_letters_delivered.fetch_add(1, std::memory_order_relaxed);
      } else {
        tracker->events.fetch_add(1, std::memory_order_relaxed);
        counters_.events_delivered.fetch_add(1, std::memory_order_relaxed);
        published_->WithLabels({outcome->topic}).Increment();
        if (!description.empty()) {
          spdlog::info("event {}[{}]@{} {}", outcome->topic, outcome->partition, outcome->offset,
                       description);
        }
      }
    } else {
      counters_.delivery_failures.fetch_add(1, std::memory_order_relaxed);
      failure = outcome.error();
    }
    Settle(tracker, failure);
  });
  if (!sent && sent.error().code == ErrorCode::kTooLarge && kind != RecordKind::kBareDeadLetter) {
    ReplaceTooLargeRecord(tracker, sent.error());
    Settle(tracker, std::nullopt);
  } else if (!sent) {
    // The sink refused outright (fatal state or stopped): the item stays claimed.
    Settle(tracker, sent.error());
  }
}

void App::SendDeadLetter(const std::shared_ptr<ItemTracker>& tracker, const Error& error,
                         const RawArticle& raw, std::size_t original_size, bool item_completed) {
  sinks::DeadLetter record{error,         raw.origin,         raw.bytes,
                           original_size, !raw.bytes.empty(), std::chrono::system_clock::now(),
                           source_uri_};
  if (item_completed && raw.origin.kind == Origin::Kind::kFile) record.origin.location.clear();
  SendTracked(tracker,
              sinks::EncodeDeadLetter(
                  record, static_cast<std::size_t>(config_.kafka.max_dead_letter_payload_bytes)),
              raw.bytes.empty() ? RecordKind::kBareDeadLetter : RecordKind::kDeadLetter,
              &dead_letters_->WithLabels(
                  {std::string(StageName(error.stage)), std::string(ErrorCodeName(error.code))}));
}

// Worker thread: Kafka refused a record of the item as too large. Retrying cannot help, so the
// item is rejected, with a dead letter that carries the reason and the origin but no payload.
void App::ReplaceTooLargeRecord(const std::shared_ptr<ItemTracker>& tracker, const Error& error) {
  Error rejection{Stage::kSink, ErrorCode::kTooLarge,
                  fmt::format("{} (raise message.max.bytes under kafka.properties, and the "
                              "topic's max.message.bytes, to publish such articles)",
                              error.message)};
  spdlog::error("rejected {}: {}", tracker->origin().Describe(), rejection.Describe());
  tracker->SetRejection(rejection);
  SendDeadLetter(tracker, rejection, RawArticle{{}, tracker->origin(), {}}, 0);
}

void App::Settle(const std::shared_ptr<ItemTracker>& tracker, const std::optional<Error>& failure) {
  if (tracker->Settle(failure)) {
    asio::post(io_, [this, tracker] { CompleteItem(tracker); });
  }
}

// io thread: every record of the item has its final outcome.
void App::CompleteItem(const std::shared_ptr<ItemTracker>& tracker) {
  // After a fatal producer error nothing is acknowledged: files stay claimed for the next start.
  if (fatal_) return;
  FinishItem(tracker);
  if (InFlight() == 0) idle_ = true;
  if (!retired_sources_.empty()) ReapRetiredSources();
}

void App::FinishItem(const std::shared_ptr<ItemTracker>& tracker) {
  sources::Source& source = tracker->source();

  if (auto failure = tracker->delivery_failure()) {
    counters_.items_retried.fetch_add(1, std::memory_order_relaxed);
    if (coordinator_) {
      // Usually every record in flight fails with the first: one line is enough.
      spdlog::log(
          coordinator_->NoteDeliveryFailure(*failure) ? spdlog::level::warn : spdlog::level::debug,
          "{}: delivery failed ({}); the open transaction aborts and its records are "
          "consumed again",
          tracker->origin().Describe(), failure->Describe());
    } else {
      spdlog::warn("{}: delivery failed ({}); kept, retrying in {} ms",
                   tracker->origin().Describe(), failure->Describe(),
                   config_.daemon.retry_backoff_ms);
    }
    source.Release(tracker->ticket());
    return;
  }
  // Done for good (delivered, or dead-lettered): progress, and the item's latency.
  last_completion_ = Clock::now();
  item_seconds_->Observe(
      std::chrono::duration<double>(last_completion_ - tracker->handed_out()).count());
  if (const auto created_at = tracker->created_at(); created_at.time_since_epoch().count() != 0) {
    // A clock step or a producer's clock ahead of ours can put creation in the future: count
    // those as zero rather than dropping them.
    end_to_end_seconds_->Observe(std::max(
        0.0, std::chrono::duration<double>(std::chrono::system_clock::now() - created_at).count()));
  }
  if (auto rejection = tracker->rejection()) {
    counters_.items_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("failed {}: {} (dead letter delivered)", tracker->origin().Describe(),
                 rejection->Describe());
    source.Reject(tracker->ticket(), *rejection);
    return;
  }
  counters_.items_completed.fetch_add(1, std::memory_order_relaxed);
  if (log_each_item_) {
    spdlog::info("completed {}: {} event(s){}", tracker->origin().Describe(),
                 tracker->events.load(),
                 tracker->dead_letters.load() > 0
                     ? fmt::format(", {} dead letter(s)", tracker->dead_letters.load())
                     : "");
  } else {
    spdlog::debug("completed {}: {} event(s)", tracker->origin().Describe(),
                  tracker->events.load());
  }
  source.Acknowledge(tracker->ticket());
}

std::vector<const sources::DirectorySource*> App::DirectorySources() const {
  std::vector<const sources::DirectorySource*> directories;
  for (const auto* list : {&sources_, &retired_sources_}) {
    for (const auto& source : *list) {
      if (const auto* directory = dynamic_cast<const sources::DirectorySource*>(source.get())) {
        directories.push_back(directory);
      }
    }
  }
  return directories;
}

std::size_t App::PendingFiles() const {
  std::size_t pending = 0;
  for (const sources::DirectorySource* directory : DirectorySources()) {
    pending += directory->pending_files();
  }
  return pending;
}

std::size_t App::InFlight() const {
  std::size_t in_flight = 0;
  for (const auto& source : sources_) in_flight += source->in_flight();
  for (const auto& source : retired_sources_) in_flight += source->in_flight();
  return in_flight;
}

void App::ListenForReload() {
  reload_signals_.async_wait([this](const asio::error_code& error, int) {
    if (error || stopping_) return;
    Reload();
    ListenForReload();
  });
}

// SIGHUP. Reads the config file again and rebuilds the classifier on a worker, off the io thread
// and the hot path; then the io thread applies what can change live (log, classifier, routes,
// feed directories) and reports what needs a restart. An invalid config or classifier changes
// nothing: the running setup stays, and every error is logged.
void App::Reload() {
  if (reloading_) {
    spdlog::warn("SIGHUP: a reload is already running; this one is ignored");
    return;
  }
  reloading_ = true;
  // Before READY (still waiting for Kafka) systemd is starting the unit: RELOADING=1 and the
  // READY=1 after it would end the start early.
  const bool tell_systemd = ready_;
  if (tell_systemd) notifier_.Reloading();
  spdlog::info("SIGHUP: reloading {}", config_.file);
  asio::post(workers_->get_executor(), [this, tell_systemd] {
    const auto started = Clock::now();
    config::ConfigResult loaded = tl::unexpected(std::vector<config::ConfigError>{});
    // What check-config checks, so that a reload refuses what it refuses.
    tl::expected<PreparedStart, std::vector<std::string>> prepared;
    try {
      loaded = config::LoadConfig(config_.file);
      if (loaded) prepared = PrepareStart(*loaded);
    } catch (const std::exception& error) {
      // Neither should throw; if one does, the reload fails and the daemon runs on (an exception
      // leaving a worker would end the process).
      loaded = tl::unexpected(std::vector<config::ConfigError>{
          {.file = config_.file, .message = fmt::format("internal error: {}", error.what())}});
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    asio::post(io_, [this, loaded = std::move(loaded), prepared = std::move(prepared), elapsed,
                     tell_systemd]() mutable {
      reloading_ = false;
      if (stopping_) return;
      if (tell_systemd) notifier_.Ready();
      if (!loaded) {
        for (const auto& error : loaded.error()) spdlog::error("reload: {}", error.Describe());
        spdlog::error("reload failed: {} error(s) in {}; the running configuration stays",
                      loaded.error().size(), config_.file);
        ++counters_.reload_failures;
        return;
      }
      if (!prepared) {
        for (const std::string& problem : prepared.error()) spdlog::error("reload: {}", problem);
        spdlog::error(
            "reload failed, the running configuration and classifier stay: {} problem(s) with "
            "{} or the files it names",
            prepared.error().size(), config_.file);
        ++counters_.reload_failures;
        return;
      }
      ApplyReload(std::move(*loaded), std::move(prepared->classifier), elapsed);
    });
  });
}

void App::ApplyReload(config::Config loaded, std::shared_ptr<const pipeline::Classifier> classifier,
                      std::chrono::milliseconds elapsed) {
  if (const auto restart = config::RestartOnlyChanges(config_, loaded); !restart.empty()) {
    spdlog::warn("reload: {} changed; not applied, they take effect at the next restart",
                 fmt::join(restart, ", "));
  }
  if (loaded.log.level != live_config_.log.level) {
    if (options_.log_level_from_command_line) {
      spdlog::warn("reload: log.level {} not applied: --log-level on the command line wins",
                   loaded.log.level);
    } else {
      spdlog::info("reload: log level {} (was {})", loaded.log.level, live_config_.log.level);
      spdlog::set_level(spdlog::level::from_str(loaded.log.level));
    }
  }
  log_events_.store(loaded.log.events, std::memory_order_relaxed);
  classifier_ = std::move(classifier);
  {
    std::lock_guard lock(pipelines_mutex_);
    for (auto& [name, pipeline] : pipelines_) pipeline->SetClassifier(classifier_);
  }
  spdlog::info("reloaded in {} ms: {}", elapsed.count(),
               DescribeClassifier(*classifier_, loaded.classify));
  live_config_.log = loaded.log;
  live_config_.classify = loaded.classify;
  ReconcileDirectories(loaded.directories);
}

void App::ReconcileDirectories(const std::vector<config::DirectorySourceConfig>& wanted) {
  // Settings compare without where they were written: moving an entry in the file changes
  // nothing.
  const auto same_settings = [](const config::DirectorySourceConfig& left,
                                config::DirectorySourceConfig right) {
    right.location = left.location;
    return left == right;
  };
  const auto find_wanted = [&wanted](std::string_view name) {
    return std::find_if(wanted.begin(), wanted.end(),
                        [name](const auto& directory) { return directory.name == name; });
  };
  std::vector<const config::DirectorySourceConfig*> to_start;
  for (const auto& directory : wanted) {
    const auto running =
        std::find_if(live_config_.directories.begin(), live_config_.directories.end(),
                     [&directory](const auto& current) { return current.name == directory.name; });
    if (running == live_config_.directories.end() || !same_settings(*running, directory)) {
      to_start.push_back(&directory);
    }
  }
  // Stop the directories that went away or changed; their items in flight finish first.
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto* directory = dynamic_cast<sources::DirectorySource*>(it->get());
    const auto found = directory ? find_wanted(directory->name()) : wanted.end();
    if (directory == nullptr ||
        (found != wanted.end() && same_settings(directory->config(), *found))) {
      ++it;
      continue;
    }
    spdlog::info(
        "reload: feed directory {} ({}) {}: intake stopped, {} item(s) in flight finish "
        "first",
        directory->name(), directory->config().path, found == wanted.end() ? "removed" : "changed",
        directory->in_flight());
    directory->Stop();
    retired_sources_.push_back(std::move(*it));
    it = sources_.erase(it);
  }
  // An added directory that was waiting and is no longer wanted (or wanted differently) goes.
  std::erase_if(waiting_sources_, [&](const auto& waiting) {
    const auto found = find_wanted(waiting->name());
    return found == wanted.end() || !same_settings(waiting->config(), *found);
  });
  for (const config::DirectorySourceConfig* directory : to_start) {
    const bool waits = std::any_of(
        waiting_sources_.begin(), waiting_sources_.end(),
        [directory](const auto& waiting) { return waiting->name() == directory->name; });
    if (waits) continue;  // the same one, already waiting
    waiting_sources_.push_back(MakeDirectorySource(*directory));
  }
  live_config_.directories = wanted;
  ReapRetiredSources();
}

bool App::StartSource(sources::Source& source) {
  sources::Source* raw_source = &source;
  auto started = source.Start(
      [this, raw_source](sources::SourceItem item) { OnItem(*raw_source, std::move(item)); },
      [this](const Error& error) {
        // Running on without one of the feeds would look healthy while losing its intake.
        spdlog::critical("{}; stopping so that the service manager restarts newswire",
                         error.Describe());
        if (exit_code_ == kExitOk) exit_code_ = kExitSourceFailed;
        Shutdown("source failure");
      });
  if (!started) {
    spdlog::error("cannot start source {}: {}", source.name(), started.error().Describe());
    return false;
  }
  return true;
}

void App::ReapRetiredSources() {
  std::erase_if(retired_sources_, [](const auto& source) { return source->in_flight() == 0; });
  for (auto it = waiting_sources_.begin(); it != waiting_sources_.end();) {
    sources::DirectorySource& waiting = **it;
    const bool blocked =
        std::any_of(retired_sources_.begin(), retired_sources_.end(), [&waiting](const auto& old) {
          const auto* directory = dynamic_cast<const sources::DirectorySource*>(old.get());
          return directory != nullptr && (directory->name() == waiting.name() ||
                                          directory->config().path == waiting.config().path);
        });
    // Before READY, StartSources starts them; while stopping, nothing starts.
    if (blocked || !ready_ || stopping_) {
      ++it;
      continue;
    }
    if (StartSource(waiting)) {
      spdlog::info("reload: feed directory {} ({}) started", waiting.name(), waiting.config().path);
      sources_.push_back(std::move(*it));
    } else {
      ++counters_.reload_failures;
      std::lock_guard lock(pipelines_mutex_);
      pipelines_.erase(std::string(waiting.name()));
      forward_topics_.erase(std::string(waiting.name()));
      live_config_.directories.erase(
          std::remove_if(
              live_config_.directories.begin(), live_config_.directories.end(),
              [&waiting](const auto& directory) { return directory.name == waiting.name(); }),
          live_config_.directories.end());
    }
    it = waiting_sources_.erase(it);
  }
}

void App::Shutdown(const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  notifier_.Stopping();
  spdlog::info("{}: stopping intake, draining {} item(s) in flight", reason, InFlight());
  budget_.Close();  // first: no source claims again when another one releases budget
  for (auto& source : sources_) source->Stop();
  // A second signal means "now": leave what is in flight in processing/ for the next start.
  // Cancel first, so that a wait armed earlier cannot take the first signal as the second.
  signals_.cancel();
  signals_.async_wait([this](const asio::error_code& error, int) {
    if (error) return;
    spdlog::warn(
        "second signal: exiting without waiting; {} item(s) stay claimed and are "
        "processed again at next start",
        InFlight());
    io_.stop();
  });
  start_timer_.cancel();
  reload_signals_.cancel();
  Drain(Clock::now() + std::chrono::milliseconds(config_.daemon.shutdown_timeout_ms));
}

void App::Drain(Clock::time_point deadline) {
  if (InFlight() > 0 && Clock::now() < deadline && !fatal_) {
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this, deadline](const asio::error_code& error) {
      if (!error) Drain(deadline);
    });
    return;
  }
  if (InFlight() > 0 && !fatal_) {
    spdlog::warn(
        "shutdown timeout ({} ms): {} item(s) not delivered stay claimed and are "
        "processed again at next start",
        config_.daemon.shutdown_timeout_ms, InFlight());
  }
  const auto flush = [this] {
    FlushStep(Clock::now() + std::chrono::milliseconds(config_.kafka.flush_timeout_ms));
  };
  // Exactly-once: what was delivered is committed with its offsets before the exit.
  if (coordinator_ && !fatal_) {
    coordinator_->Finish(flush);
    return;
  }
  flush();
}

// Waits for the producer's last delivery reports in short steps, so that the loop keeps serving
// completions, signals and the watchdog meanwhile.
void App::FlushStep(Clock::time_point deadline) {
  // After a fatal error the producer delivers nothing more; waiting would only delay the exit.
  std::uint64_t undelivered = fatal_ ? 0 : sink_->Flush(0);
  if (undelivered > 0 && Clock::now() < deadline) {
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this, deadline](const asio::error_code& error) {
      if (!error) FlushStep(deadline);
    });
    return;
  }
  if (undelivered > 0) {
    spdlog::warn("{} record(s) still undelivered after flush; their items were not completed",
                 undelivered);
  }
  status_timer_.cancel();
  watchdog_timer_.cancel();
  broker_probe_timer_.cancel();
  if (endpoint_) endpoint_->Stop();
  signals_.cancel();
  // Posted, not called: completions that delivery reports queued before now run first.
  asio::post(io_, [this] { io_.stop(); });
}

void App::Fatal(const Error& error) {
  if (fatal_) return;
  fatal_ = true;
  exit_code_ = kExitUnavailable;
  spdlog::critical(
      "fatal Kafka producer error, stopping: {}. Items not yet acknowledged stay "
      "claimed and are processed again at next start.",
      error.Describe());
  stopping_ = false;  // let Shutdown run even if a signal started it
  Shutdown("fatal error");
}

void App::RegisterMetrics() {
  // Values the app counts anyway, read when /metrics is rendered (io thread).
  const auto collected = [this](std::string_view name, std::string_view help,
                                const std::atomic<std::uint64_t>& value) {
    registry_.CollectedCounter(name, help, {}, [&value] {
      return metrics::CollectedSamples{{{}, static_cast<double>(value.load())}};
    });
  };
  collected("newswire_items_completed_total",
            "Items (files, Kafka records) whose every event Kafka confirmed",
            counters_.items_completed);
  collected("newswire_items_failed_total",
            "Items rejected by a stage; their dead letter was confirmed", counters_.items_failed);
  collected("newswire_items_retried_total",
            "Times an item was kept for another try because a delivery failed",
            counters_.items_retried);
  collected("newswire_article_errors_total",
            "Articles rejected inside an item whose other articles were published",
            counters_.article_errors);
  collected("newswire_delivery_failures_total",
            "Records Kafka did not confirm (their item is retried)", counters_.delivery_failures);
  collected("newswire_input_bytes_total", "Bytes of the items handed out by the sources",
            counters_.bytes_read);
  collected("newswire_reload_failures_total",
            "SIGHUP reloads that failed; the running classifier stayed", counters_.reload_failures);
  published_ = &registry_.Counter("newswire_events_published_total",
                                  "Events (tagged articles, routed and forwarded items) Kafka "
                                  "confirmed, by topic",
                                  {"topic"});
  dead_letters_ = &registry_.Counter(
      "newswire_dead_letters_total",
      "Dead letters Kafka confirmed, by the stage that failed and the reason", {"stage", "reason"});
  output_bytes_ = &registry_.Counter(
      "newswire_output_bytes_total",
      "Bytes (key and value) of the records Kafka confirmed, events and dead letters, by topic",
      {"topic"});
  end_to_end_seconds_ =
      &registry_
           .Histogram("newswire_end_to_end_latency_seconds",
                      "From an item's creation (a file's modification time, a Kafka record's "
                      "timestamp) until Kafka confirmed its last record",
                      {},
                      {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600})
           .Get();
  item_seconds_ = &registry_
                       .Histogram("newswire_item_duration_seconds",
                                  "From an item's hand-out by its source until Kafka confirmed "
                                  "its last record",
                                  {}, metrics::DefaultLatencyBucketsSeconds())
                       .Get();
  pipeline_seconds_ = &registry_
                           .Histogram("newswire_pipeline_duration_seconds",
                                      "Decoding, normalizing and classifying one item", {},
                                      metrics::DefaultLatencyBucketsSeconds())
                           .Get();
  auto& stages = registry_.Histogram(
      "newswire_stage_duration_seconds",
      "Time one item spent in a pipeline stage, summed over its articles: decode, normalize, "
      "classify, remember (duplicates and stories), encode, route",
      {"stage"}, metrics::DefaultLatencyBucketsSeconds());
  const std::array<const char*, 6> stage_names = {"decode",   "normalize", "classify",
                                                  "remember", "encode",    "route"};
  for (std::size_t stage = 0; stage < stage_names.size(); ++stage) {
    stage_seconds_[stage] = &stages.WithLabels({stage_names[stage]});
  }
  const auto gauge = [this](std::string_view name, std::string_view help,
                            std::function<double()> value) {
    registry_.CollectedGauge(name, help, {}, [value = std::move(value)] {
      return metrics::CollectedSamples{{{}, value()}};
    });
  };
  gauge("newswire_in_flight_items", "Items handed out and not yet done",
        [this] { return static_cast<double>(budget_.files()); });
  gauge("newswire_in_flight_bytes", "Bytes of the items handed out and not yet done",
        [this] { return static_cast<double>(budget_.bytes()); });
  gauge("newswire_ready", "1 once every source runs, 0 while starting or stopping",
        [this] { return ready_ && !stopping_ ? 1.0 : 0.0; });
  gauge("newswire_kafka_unreachable_seconds",
        "Seconds since a metadata request last reached Kafka (probed every 2 s; a few seconds "
        "when all is well)",
        [this] { return std::chrono::duration<double>(Clock::now() - last_broker_ok_).count(); });
  gauge("newswire_kafka_producer_queue_messages",
        "Records handed to the Kafka producer and not yet confirmed or failed",
        [this] { return static_cast<double>(sink_->stats().in_flight); });
  // librdkafka's own statistics (kafka.properties statistics.interval.ms, 5 s by default): no
  // samples until the first report.
  gauge("newswire_kafka_producer_queue_bytes",
        "Bytes of the records in the Kafka producer's queue (librdkafka statistics)", [this] {
          const auto statistics = sink_->client_statistics();
          return statistics ? static_cast<double>(statistics->queue_bytes) : 0.0;
        });
  const auto per_broker = [this](std::string_view name, std::string_view help, bool counter,
                                 auto value) {
    auto collect = [this, value] {
      metrics::CollectedSamples samples;
      if (const auto statistics = sink_->client_statistics()) {
        for (const kafka::BrokerStatistics& broker : statistics->brokers) {
          samples.push_back({{broker.name}, static_cast<double>(value(broker))});
        }
      }
      return samples;
    };
    if (counter) {
      registry_.CollectedCounter(name, help, {"broker"}, std::move(collect));
    } else {
      registry_.CollectedGauge(name, help, {"broker"}, std::move(collect));
    }
  };
  per_broker("newswire_kafka_broker_up", "1 while the producer's connection to the broker is up",
             false, [](const kafka::BrokerStatistics& broker) { return broker.up ? 1 : 0; });
  per_broker("newswire_kafka_broker_round_trip_seconds",
             "Average request round trip to the broker over the last statistics interval (0 "
             "without requests)",
             false,
             [](const kafka::BrokerStatistics& broker) { return broker.round_trip_seconds; });
  per_broker("newswire_kafka_broker_retries_total", "Produce requests the producer sent again",
             true, [](const kafka::BrokerStatistics& broker) { return broker.retries; });
  per_broker("newswire_kafka_broker_errors_total", "Requests to the broker that failed", true,
             [](const kafka::BrokerStatistics& broker) { return broker.errors; });
  per_broker("newswire_kafka_broker_request_timeouts_total",
             "Requests to the broker that timed out", true,
             [](const kafka::BrokerStatistics& broker) { return broker.request_timeouts; });
  registry_.CollectedCounter("newswire_kafka_producer_queue_full_waits_total",
                             "Times a sender waited because the producer's queue was full", {},
                             [this] {
                               return metrics::CollectedSamples{
                                   {{}, static_cast<double>(sink_->stats().queue_full_waits)}};
                             });
  gauge("newswire_oldest_unacknowledged_item_age_seconds",
        "Age of the oldest item handed out and not yet done (retries keep their first hand-out "
        "time); 0 when nothing is in flight",
        [this] {
          std::optional<Clock::time_point> oldest;
          for (const auto* list : {&sources_, &retired_sources_}) {
            for (const auto& source : *list) {
              const auto since = source->oldest_in_flight();
              if (since && (!oldest || *since < *oldest)) oldest = since;
            }
          }
          return oldest ? std::chrono::duration<double>(Clock::now() - *oldest).count() : 0.0;
        });
  // Registered whatever the sources, so that dashboards and alerts find every family (one without
  // samples renders its HELP and TYPE lines only).
  registry_.CollectedCounter(
      "newswire_directory_files_total",
      "Files of a feed directory by what became of them: seen (queued for claiming), claimed, "
      "recovered (found in processing/ at start), completed, failed (dead-lettered), retried",
      {"directory", "outcome"}, [this] {
        metrics::CollectedSamples samples;
        for (const sources::DirectorySource* directory : DirectorySources()) {
          const sources::DirectorySourceStats& stats = directory->stats();
          const std::string name(directory->name());
          for (const auto& [outcome, value] : {std::pair{"seen", stats.seen},
                                               {"claimed", stats.claimed},
                                               {"recovered", stats.recovered},
                                               {"completed", stats.completed},
                                               {"failed", stats.failed},
                                               {"retried", stats.retried}}) {
            samples.push_back({{name, outcome}, static_cast<double>(value)});
          }
        }
        return samples;
      });
  registry_.CollectedGauge(
      "newswire_directory_pending_files",
      "Files found in a feed directory and not yet claimed (the inbox backlog; a lower bound "
      "past the source's queue limit, until its rescan)",
      {"directory"}, [this] {
        metrics::CollectedSamples samples;
        for (const sources::DirectorySource* directory : DirectorySources()) {
          samples.push_back(
              {{std::string(directory->name())}, static_cast<double>(directory->pending_files())});
        }
        return samples;
      });
  registry_.CollectedGauge(
      "newswire_kafka_source_lag_records",
      "Records of an assigned partition not yet done: from the first one not acknowledged to "
      "the high watermark last fetched",
      {"source", "topic", "partition"}, [this] {
        metrics::CollectedSamples samples;
        for (const sources::KafkaSource* source : kafka_sources_) {
          for (const auto& lag : source->partition_lags()) {
            samples.push_back(
                {{std::string(source->name()), lag.topic, std::to_string(lag.partition)},
                 static_cast<double>(lag.records)});
          }
        }
        return samples;
      });
  {
    const auto per_source = [this](auto value) {
      metrics::CollectedSamples samples;
      for (const sources::KafkaSource* source : kafka_sources_) {
        samples.push_back({{std::string(source->name())}, static_cast<double>(value(*source))});
      }
      return samples;
    };
    registry_.CollectedCounter(
        "newswire_kafka_source_records_total",
        "Kafka records by what became of them: handed_out (retries included), acknowledged, "
        "rejected (dead-lettered), released (for a retry), dropped (their partition went away)",
        {"source", "outcome"}, [this] {
          metrics::CollectedSamples samples;
          for (const sources::KafkaSource* source : kafka_sources_) {
            const sources::KafkaSourceStats& stats = source->stats();
            const std::string name(source->name());
            for (const auto& [outcome, value] : {std::pair{"handed_out", stats.records_handed_out},
                                                 {"acknowledged", stats.records_acknowledged},
                                                 {"rejected", stats.records_rejected},
                                                 {"released", stats.records_released},
                                                 {"dropped", stats.records_dropped}}) {
              samples.push_back({{name, outcome}, static_cast<double>(value)});
            }
          }
          return samples;
        });
    registry_.CollectedGauge("newswire_kafka_source_assigned_partitions",
                             "Partitions the group gave this member", {"source"}, [per_source] {
                               return per_source([](const sources::KafkaSource& source) {
                                 return source.assigned_partitions();
                               });
                             });
    registry_.CollectedGauge(
        "newswire_kafka_source_paused", "1 while intake is paused (in-flight budget used up)",
        {"source"}, [per_source] {
          return per_source([](const sources::KafkaSource& source) { return source.paused(); });
        });
    registry_.CollectedCounter("newswire_kafka_source_rebalances_total",
                               "Partition assignments and revocations", {"source"}, [per_source] {
                                 return per_source([](const sources::KafkaSource& source) {
                                   return source.stats().rebalances;
                                 });
                               });
    registry_.CollectedCounter("newswire_kafka_source_consumer_errors_total",
                               "Errors the consumer reported", {"source"}, [per_source] {
                                 return per_source([](const sources::KafkaSource& source) {
                                   return source.stats().consumer_errors;
                                 });
                               });
  }
  registry_.CollectedCounter(
      "newswire_transactions_total", "Exactly-once transactions ended, by outcome", {"outcome"},
      [this] {
        if (!coordinator_) return metrics::CollectedSamples{};
        return metrics::CollectedSamples{
            {{"committed"}, static_cast<double>(coordinator_->stats().committed)},
            {{"aborted"}, static_cast<double>(coordinator_->stats().aborted)}};
      });
}

tl::expected<void, StartFailure> App::StartOperatorEndpoint() {
  if (!config_.http.enabled) return {};
  endpoint_ = std::make_unique<OperatorEndpoint>(
      io_, config_.http, registry_,
      OperatorEndpoint::Probes{.ready = [this] { return ready_ && !stopping_; },
                               .health_problems = [this] { return HealthProblems(); }});
  if (auto started = endpoint_->Start(); !started) {
    return tl::unexpected(StartFailure{kExitCannotListen, "cannot listen on http.address:http.port",
                                       started.error()});
  }
  if (auto written = endpoint_->WriteAddressFile(); !written) {
    return tl::unexpected(
        StartFailure{kExitCannotCreate, "cannot write http.address_file", written.error()});
  }
  ProbeBroker();
  return {};
}

// Every few seconds a worker asks Kafka for the events topic's metadata (blocking up to a
// second), so that /health knows whether the broker answers even while nothing is sent.
void App::ProbeBroker() {
  broker_probe_timer_.expires_after(std::chrono::seconds(2));
  broker_probe_timer_.async_wait([this](const asio::error_code& error) {
    if (error || stopping_) return;
    if (!broker_probe_running_) {
      broker_probe_running_ = true;
      asio::post(*workers_, [this] {
        auto reachable = sink_->CheckConnection(1000);
        asio::post(io_, [this, error = reachable ? std::string() : reachable.error().message] {
          broker_probe_running_ = false;
          if (error.empty()) last_broker_ok_ = Clock::now();
          last_broker_error_ = error;
        });
      });
    }
    ProbeBroker();
  });
}

std::vector<std::string> App::HealthProblems() const {
  std::vector<std::string> problems;
  const auto now = Clock::now();
  const auto limit = std::chrono::milliseconds(config_.http.unhealthy_after_ms);
  const auto seconds = [now](Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
  };
  if (fatal_) {
    problems.push_back("a fatal Kafka producer error stopped newswire");
  } else if (stopping_) {
    problems.push_back("stopping");
  }
  if (now - last_broker_ok_ > limit) {
    problems.push_back(fmt::format("Kafka at {} unreachable for {} s{}{}", bootstrap_servers_,
                                   seconds(last_broker_ok_), last_broker_error_.empty() ? "" : ": ",
                                   last_broker_error_));
  }
  const Clock::time_point stalled_since = std::max(last_completion_, busy_since_);
  if (const std::size_t in_flight = InFlight(); in_flight > 0 && now - stalled_since > limit) {
    problems.push_back(fmt::format("{} item(s) in flight and none completed for {} s", in_flight,
                                   seconds(stalled_since)));
  }
  return problems;
}

std::string App::StatusLine() const {
  auto stats = sink_ ? sink_->stats() : sinks::KafkaSinkStats{};
  return fmt::format(
             "in flight {} item(s) {} bytes; completed {}, failed {}, retried {}; events {}, dead "
             "letters {}, article errors {}, delivery failures {}; kafka queue {}, queue-full "
             "waits {}",
             budget_.files(), budget_.bytes(), counters_.items_completed.load(),
             counters_.items_failed.load(), counters_.items_retried.load(),
             counters_.events_delivered.load(), counters_.dead_letters_delivered.load(),
             counters_.article_errors.load(), counters_.delivery_failures.load(), stats.in_flight,
             stats.queue_full_waits) +
         KafkaSourcesStatus() +
         (coordinator_ ? fmt::format("; transactions committed {}, aborted {}, last cycle {} ms",
                                     coordinator_->stats().committed, coordinator_->stats().aborted,
                                     coordinator_->stats().last_cycle_ms)
                       : "");
}

// "; kafka source NAME: ..." for each Kafka source, io thread only (their stats are).
std::string App::KafkaSourcesStatus() const {
  std::string status;
  for (const sources::KafkaSource* source : kafka_sources_) {
    const sources::KafkaSourceStats& stats = source->stats();
    status += fmt::format(
        "; kafka source {}: {} partition(s){}, records handed out {}, acknowledged {}, "
        "rejected {}, released {}, dropped {}, rebalances {}, consumer errors {}",
        source->name(), source->assigned_partitions(), source->paused() ? " paused" : "",
        stats.records_handed_out, stats.records_acknowledged, stats.records_rejected,
        stats.records_released, stats.records_dropped, stats.rebalances, stats.consumer_errors);
  }
  return status;
}

void App::ScheduleStatus() {
  status_timer_.expires_after(std::chrono::milliseconds(live_config_.log.stats_interval_ms));
  status_timer_.async_wait([this](const asio::error_code& error) {
    if (error) return;
    std::string line = StatusLine();
    if (!log_each_item_) spdlog::info("status: {}", line);
    // Until READY, STATUS says what the start waits for (WaitForBroker).
    if (ready_) notifier_.Status(SystemdStatus());
    ScheduleStatus();
  });
}

// What `systemctl status` shows: rates since the last status line, so an operator sees at a glance
// whether articles flow. io thread (it moves the rate baseline).
std::string App::SystemdStatus() {
  const auto now = Clock::now();
  const double minutes = std::chrono::duration<double>(now - status_since_).count() / 60;
  const std::uint64_t events = counters_.events_delivered.load();
  const std::uint64_t failed = counters_.items_failed.load();
  const auto per_minute = [minutes](std::uint64_t count) {
    return minutes > 0 ? static_cast<double>(count) / minutes : 0.0;
  };
  std::string status = fmt::format("{:.0f} articles/min, {:.0f} failed/min, {} in flight",
                                   per_minute(events - status_events_),
                                   per_minute(failed - status_failed_), budget_.files());
  if (!DirectorySources().empty()) status += fmt::format(", inbox {}", PendingFiles());
  if (coordinator_) {
    status += fmt::format(", {} transactions committed", coordinator_->stats().committed);
  }
  status_since_ = now;
  status_events_ = events;
  status_failed_ = failed;
  return status;
}

void App::ScheduleWatchdog(std::chrono::microseconds interval) {
  // From the event loop itself, so a wedged loop stops the pings and systemd restarts us.
  notifier_.Watchdog();
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this, interval](const asio::error_code& error) {
    if (!error) ScheduleWatchdog(interval);
  });
}

}  // namespace

int RunDaemon(const config::Config& config, PreparedStart prepared, const DaemonOptions& options) {
  App app(config, std::move(prepared), options);
  return app.Run();
}

}  // namespace newswire::app
