#include "daemon/config/option_table.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>

namespace newswire::config {
namespace {

constexpr std::int64_t kKibibyte = 1024;
constexpr std::int64_t kMebibyte = 1024 * kKibibyte;
constexpr std::int64_t kGibibyte = 1024 * kMebibyte;
constexpr std::int64_t kTebibyte = 1024 * kGibibyte;
constexpr std::int64_t kOneHourMs = std::int64_t{60} * 60 * 1000;
constexpr std::int64_t kOneDayMs = 24 * kOneHourMs;
// librdkafka keeps timeouts in a signed 32-bit int.
constexpr std::int64_t kLibrdkafkaMaxTimeoutMs = 2147483647;
// Kafka's own limit on topic name length.
constexpr std::size_t kMaxTopicNameLength = 249;
// librdkafka's upper bound of queued.max.messages.kbytes, which max_prefetch_bytes sets.
constexpr std::int64_t kLibrdkafkaMaxPrefetchBytes = 2097151 * kKibibyte;

constexpr std::array<std::string_view, 5> kCompressions = {"none", "gzip", "snappy", "lz4", "zstd"};
constexpr std::array<std::string_view, 2> kOnSuccessValues = {"move", "delete"};
static_assert(static_cast<int>(DirectorySourceConfig::OnSuccess::kMove) == 0 &&
                  static_cast<int>(DirectorySourceConfig::OnSuccess::kDelete) == 1,
              "kOnSuccessValues lists the enumerators in declaration order");
constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kLogFormats = {"text", "json"};
// The decoders a record without a content-type header can be given; "auto" sniffs the bytes.
constexpr std::array<std::string_view, 6> kRecordFormats = {"auto", "text", "html",
                                                            "feed", "json", "jsonl"};
constexpr std::array<std::string_view, 2> kOffsetResets = {"earliest", "latest"};
constexpr std::array<std::string_view, 2> kPipelines = {"classify", "forward"};

template <auto kSection, auto kMember>
FieldRef SectionField(Config& config, std::size_t /*entry*/) {
  return &((config.*kSection).*kMember);
}

// A member of one entry of the list `kList`, such as &Config::directories.
template <auto kList, auto kMember>
FieldRef EntryField(Config& config, std::size_t entry) {
  return &((config.*kList)[entry].*kMember);
}

// A member of the json_fields of one entry of `kList`; entries of both lists have them.
template <auto kList, auto kMember>
FieldRef JsonField(Config& config, std::size_t entry) {
  return &((config.*kList)[entry].json_fields.*kMember);
}

template <auto kList>
std::size_t EntryCount(const Config& config) {
  return (config.*kList).size();
}

template <auto kList>
void ResizeEntries(Config& config, std::size_t size) {
  (config.*kList).resize(size);
}

template <auto kList>
std::string* EntryLocation(Config& config, std::size_t entry) {
  return &(config.*kList)[entry].location;
}

std::string CheckNotEmpty(std::string_view value) {
  return value.empty() ? "must not be empty" : "";
}

std::string CheckTopicName(std::string_view name) {
  const bool valid_characters = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!name.empty() && name.size() <= kMaxTopicNameLength && valid_characters && name != "." &&
      name != "..") {
    return "";
  }
  return fmt::format(
      "'{}' is not a valid Kafka topic name; use 1 to 249 characters from [A-Za-z0-9._-], "
      "other than '.' and '..'",
      name);
}

// A topic to consume: a topic name, or a regular expression that librdkafka matches against the
// cluster's topics when the name starts with '^'.
std::string CheckSourceTopic(std::string_view topic) {
  if (topic.empty()) return "must not be empty";
  if (topic.starts_with('^')) {
    return topic.size() > 1 ? ""
                            : "'^' alone is an empty regular expression; write the pattern "
                              "after the '^', or a topic name without it";
  }
  return CheckTopicName(topic);
}

std::string CheckBrokers(std::string_view brokers) {
  if (brokers.find_first_not_of(" \t") == std::string_view::npos) {
    return "must not be empty; use 'embedded' or a list such as 'kafka-1:9092,kafka-2:9092'";
  }
  std::size_t start = 0;
  while (start <= brokers.size()) {
    const std::size_t comma = std::min(brokers.find(',', start), brokers.size());
    const std::string_view broker = brokers.substr(start, comma - start);
    if (broker.find_first_not_of(" \t") == std::string_view::npos) {
      return fmt::format("'{}' has an empty entry between commas", brokers);
    }
    start = comma + 1;
  }
  return "";
}

// Empty stands for kafka.brokers.
std::string CheckIpAddress(std::string_view address) {
  const std::string text(address);
  std::array<unsigned char, sizeof(in6_addr)> parsed{};
  if (inet_pton(AF_INET, text.c_str(), parsed.data()) == 1 ||
      inet_pton(AF_INET6, text.c_str(), parsed.data()) == 1) {
    return "";
  }
  return fmt::format("'{}' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1, 0.0.0.0)", address);
}

std::string CheckSourceBrokers(std::string_view brokers) {
  return brokers.empty() ? "" : CheckBrokers(brokers);
}

std::string DefaultDirectoryName(const Config& config, std::size_t entry) {
  return std::filesystem::path(config.directories[entry].path).filename().string();
}

std::string DefaultProcessingDir(const Config& config, std::size_t entry) {
  return (std::filesystem::path(config.directories[entry].path) / "processing").string();
}

std::string DefaultDoneDir(const Config& config, std::size_t entry) {
  return (std::filesystem::path(config.directories[entry].path) / "done").string();
}

std::string DefaultFailedDir(const Config& config, std::size_t entry) {
  return (std::filesystem::path(config.directories[entry].path) / "failed").string();
}

std::string DefaultKafkaSourceName(const Config& config, std::size_t entry) {
  std::string_view topic = config.kafka_sources[entry].topics.front();
  if (topic.starts_with('^')) topic.remove_prefix(1);
  return std::string(topic);
}

std::string DefaultSourceUri(const Config& /*config*/, std::size_t /*entry*/) {
  std::array<char, HOST_NAME_MAX + 1> host_name{};
  if (gethostname(host_name.data(), host_name.size() - 1) != 0 || host_name[0] == '\0') {
    return "newswire://localhost";
  }
  return fmt::format("newswire://{}", host_name.data());
}

std::string DefaultDataDir(const Config& /*config*/, std::size_t /*entry*/) {
  return DefaultDataDirectory();
}

// Both lists of sources read JSON the same way; one json_fields option of either list is made by
// JsonFieldOption from the text shared by the two.
struct JsonFieldText {
  std::string_view default_value;
  std::string_view description;
};

constexpr JsonFieldText kJsonTitle = {
    .default_value = R"(["title", "headline"])",
    .description =
        "JSON members tried in order for the article title; an empty list ignores the field"};
constexpr JsonFieldText kJsonBody = {
    .default_value = R"(["body", "text", "content", "articleBody"])",
    .description =
        "JSON members tried in order for the article body; HTML in it is stripped to "
        "text; an empty list ignores the field"};
constexpr JsonFieldText kJsonUrl = {
    .default_value = R"(["url"])",
    .description =
        "JSON members tried in order for the article URL; an empty list ignores the field"};
constexpr JsonFieldText kJsonAuthor = {
    .default_value = R"(["author"])",
    .description =
        "JSON members tried in order for the authors: a string, an object with a "
        "`name`, or a list of those; an empty list ignores the field"};
constexpr JsonFieldText kJsonPublished = {
    .default_value = R"(["published", "datePublished"])",
    .description =
        "JSON members tried in order for the publication date, RFC 3339 or RFC 822; an "
        "empty list ignores the field"};
constexpr JsonFieldText kJsonLanguage = {
    .default_value = R"(["language"])",
    .description =
        "JSON members tried in order for the language tag; an empty list ignores the field"};

template <auto kList, auto kMember>
constexpr Option JsonFieldOption(std::string_view key, const JsonFieldText& text) {
  return {.key = key,
          .type = OptionType::kStringList,
          .unit = "names",
          .default_value = text.default_value,
          .check = CheckNotEmpty,
          .description = text.description,
          .field = JsonField<kList, kMember>};
}

// Keys of one section stay together: RenderConfig emits them in this order.
constexpr auto kOptions = std::to_array<Option>({
    // kafka
    {.key = "kafka.brokers",
     .type = OptionType::kString,
     .default_rule = DefaultRule::kRequired,
     .check = CheckBrokers,
     .bounds_text = "not empty",
     .description = "Bootstrap servers of the Kafka cluster as `host:port,host:port`. There is no "
                    "default: write `embedded` for a demo or a test, which starts librdkafka's "
                    "mock cluster in the process (in memory, lost at exit, not for production)",
     .field = SectionField<&Config::kafka, &KafkaConfig::brokers>},
    {.key = "kafka.broker_file",
     .type = OptionType::kPath,
     .default_value = R"("")",
     .description = "File the bootstrap server list is written to at start-up, for tools that "
                    "need to find the broker; empty writes none",
     .field = SectionField<&Config::kafka, &KafkaConfig::broker_file>},
    {.key = "kafka.topic",
     .type = OptionType::kString,
     .default_value = "news.articles.tagged",
     .check = CheckTopicName,
     .bounds_text = "`[A-Za-z0-9._-]{1,249}`",
     .description = "Topic every tagged article is produced to, as a CloudEvent",
     .field = SectionField<&Config::kafka, &KafkaConfig::topic>},
    {.key = "kafka.dead_letter_topic",
     .type = OptionType::kString,
     .default_value = "news.articles.dead-letter",
     .check = CheckTopicName,
     .bounds_text = "`[A-Za-z0-9._-]{1,249}`, not `kafka.topic`",
     .description = "Topic items that failed a pipeline stage are produced to, with the reason",
     .field = SectionField<&Config::kafka, &KafkaConfig::dead_letter_topic>},
    {.key = "kafka.compression",
     .type = OptionType::kEnum,
     .default_value = "zstd",
     .allowed_values = kCompressions,
     .description = "Compression codec of produced batches",
     .field = SectionField<&Config::kafka, &KafkaConfig::compression>},
    {.key = "kafka.message_timeout_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "300000",
     .min_value = 1000,
     .max_value = kLibrdkafkaMaxTimeoutMs,
     .description = "How long the producer keeps retrying a message before it counts as failed",
     .field = SectionField<&Config::kafka, &KafkaConfig::message_timeout_ms>},
    {.key = "kafka.flush_timeout_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "30000",
     .min_value = 0,
     .max_value = kOneHourMs,
     .description = "How long shutdown waits for queued messages to be delivered",
     .field = SectionField<&Config::kafka, &KafkaConfig::flush_timeout_ms>},
    {.key = "kafka.max_dead_letter_payload_bytes",
     .type = OptionType::kByteSize,
     .unit = "bytes",
     .default_value = "512KiB",
     .min_value = 0,
     .max_value = 64 * kMebibyte,
     .description = "Most bytes of the original input copied into a dead-letter record; the "
                    "rest is cut off. Keep it under the producer's message.max.bytes (1000000 "
                    "by default)",
     .field = SectionField<&Config::kafka, &KafkaConfig::max_dead_letter_payload_bytes>},
    {.key = "kafka.embedded_partitions",
     .type = OptionType::kInteger,
     .unit = "partitions",
     .default_value = "4",
     .min_value = 1,
     .max_value = 256,
     .description = "Partitions per topic when `brokers` is `embedded`",
     .field = SectionField<&Config::kafka, &KafkaConfig::embedded_partitions>},
    {.key = "kafka.exactly_once",
     .type = OptionType::kBool,
     .default_value = "false",
     .description = "Consume, classify and produce in Kafka transactions: the events of a record "
                    "and its input offset are committed together or not at all, so "
                    "read_committed consumers see each article once. Every source must be a "
                    "Kafka source on `kafka.brokers`; see docs/kafka-input.md",
     .field = SectionField<&Config::kafka, &KafkaConfig::exactly_once>},
    {.key = "kafka.transactional_id",
     .type = OptionType::kString,
     .default_value = R"("")",
     .bounds_text = "required with `exactly_once`",
     .description = "The producer's `transactional.id` in exactly-once mode: unique per instance "
                    "and the same across its restarts, so that a restarted instance fences its "
                    "predecessor",
     .field = SectionField<&Config::kafka, &KafkaConfig::transactional_id>},
    {.key = "kafka.transaction_interval_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "500",
     .min_value = 10,
     .max_value = 60000,
     .description = "How often the open transaction is committed in exactly-once mode: events "
                    "reach read_committed consumers up to this much later, and each commit "
                    "briefly drains the pipeline",
     .field = SectionField<&Config::kafka, &KafkaConfig::transaction_interval_ms>},
    {.key = "kafka.properties",
     .type = OptionType::kStringMap,
     .default_value = "{}",
     .description = "Extra librdkafka producer properties such as `security.protocol` or "
                    "`ssl.ca.location`, passed through as strings; `acks` stays `all` and "
                    "`enable.idempotence` stays `true` (the delivery guarantee needs both)",
     .field = SectionField<&Config::kafka, &KafkaConfig::properties>},
    {.key = "kafka.secret_files",
     .type = OptionType::kStringMap,
     .default_value = "{}",
     .description = "librdkafka producer properties read from files, e.g. `sasl.password: "
                    "${CREDENTIALS_DIRECTORY}/kafka-password` (one trailing newline dropped; "
                    "`${CREDENTIALS_DIRECTORY}` is the directory where systemd puts the unit's "
                    "`LoadCredential=` files); kept out of the config and of `check-config`'s "
                    "output",
     .field = SectionField<&Config::kafka, &KafkaConfig::secret_files>},

    // sources.directories[]
    {.key = "sources.directories[].path",
     .type = OptionType::kPath,
     .default_rule = DefaultRule::kRequired,
     .check = CheckNotEmpty,
     .bounds_text = "not empty, unique",
     .description = "Feed directory to watch",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::path>},
    {.key = "sources.directories[].name",
     .type = OptionType::kString,
     .default_rule = DefaultRule::kComputed,
     .default_value = "last component of `path`",
     .compute_default = DefaultDirectoryName,
     .check = CheckNotEmpty,
     .bounds_text = "not empty, unique among all sources",
     .description = "Name of the feed in logs, metrics and event origins",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::name>},
    {.key = "sources.directories[].recursive",
     .type = OptionType::kBool,
     .default_value = "false",
     .description = "Also take files from subdirectories",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::recursive>},
    {.key = "sources.directories[].include",
     .type = OptionType::kStringList,
     .unit = "globs",
     .default_value = R"(["*"])",
     .min_value = 1,
     .check = CheckNotEmpty,
     .description = "fnmatch globs on the file name; a file is taken when one matches",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::include>},
    {.key = "sources.directories[].exclude",
     .type = OptionType::kStringList,
     .unit = "globs",
     .default_value = "[]",
     .check = CheckNotEmpty,
     .description = "Globs on the file name that are skipped even when included; dotfiles, "
                    "`*.tmp`, `*.part`, `*.swp` and `*~` are always skipped",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::exclude>},
    {.key = "sources.directories[].processing_dir",
     .type = OptionType::kPath,
     .default_rule = DefaultRule::kComputed,
     .default_value = "`<path>/processing`",
     .compute_default = DefaultProcessingDir,
     .check = CheckNotEmpty,
     .bounds_text = "not `path`, `done_dir` or `failed_dir`",
     .description = "Where a file is moved while it is being processed",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::processing_dir>},
    {.key = "sources.directories[].done_dir",
     .type = OptionType::kPath,
     .default_rule = DefaultRule::kComputed,
     .default_value = "`<path>/done`",
     .compute_default = DefaultDoneDir,
     .check = CheckNotEmpty,
     .bounds_text = "not `path`, `processing_dir` or `failed_dir`",
     .description = "Where a delivered file is moved when `on_success` is `move`",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::done_dir>},
    {.key = "sources.directories[].failed_dir",
     .type = OptionType::kPath,
     .default_rule = DefaultRule::kComputed,
     .default_value = "`<path>/failed`",
     .compute_default = DefaultFailedDir,
     .check = CheckNotEmpty,
     .bounds_text = "not `path`, `processing_dir` or `done_dir`",
     .description = "Where a file that could not be processed is moved",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::failed_dir>},
    {.key = "sources.directories[].on_success",
     .type = OptionType::kEnum,
     .default_value = "move",
     .allowed_values = kOnSuccessValues,
     .description = "What happens to a file once everything from it is delivered",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::on_success>},
    {.key = "sources.directories[].pipeline",
     .type = OptionType::kEnum,
     .default_value = "classify",
     .allowed_values = kPipelines,
     .description = "`classify` publishes tagged events; `forward` publishes each file's bytes "
                    "as they are to `forward_topic`, for instances consuming that topic to "
                    "classify (an edge instance)",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::pipeline>},
    {.key = "sources.directories[].forward_topic",
     .type = OptionType::kString,
     .default_value = "news.articles.raw",
     .check = CheckTopicName,
     .bounds_text = "`[A-Za-z0-9._-]{1,249}`",
     .description = "Topic the files go to when `pipeline` is `forward`",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::forward_topic>},
    {.key = "sources.directories[].max_file_bytes",
     .type = OptionType::kByteSize,
     .unit = "bytes",
     .default_value = "16MiB",
     .min_value = 1,
     .max_value = kGibibyte,
     .bounds_text = "at most `limits.max_in_flight_bytes`",
     .description = "Larger files are moved to `failed_dir` without being read",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::max_file_bytes>},
    {.key = "sources.directories[].follow_symlinks",
     .type = OptionType::kBool,
     .default_value = "false",
     .description = "Take files that are symbolic links; otherwise they are rejected",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::follow_symlinks>},
    {.key = "sources.directories[].settle_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "2000",
     .min_value = 0,
     .max_value = kOneHourMs,
     .description = "A file found without a close-after-write event (by the start-up or fallback "
                    "scan, or created by a hard link) is claimed once its size and modification "
                    "time have not changed for this long; files closed after writing or moved in "
                    "are claimed at once. 0 claims files found by a scan, and hard links, at once",
     .field = EntryField<&Config::directories, &DirectorySourceConfig::settle_ms>},
    JsonFieldOption<&Config::directories, &JsonFieldNames::title>(
        "sources.directories[].json_fields.title", kJsonTitle),
    JsonFieldOption<&Config::directories, &JsonFieldNames::body>(
        "sources.directories[].json_fields.body", kJsonBody),
    JsonFieldOption<&Config::directories, &JsonFieldNames::url>(
        "sources.directories[].json_fields.url", kJsonUrl),
    JsonFieldOption<&Config::directories, &JsonFieldNames::author>(
        "sources.directories[].json_fields.author", kJsonAuthor),
    JsonFieldOption<&Config::directories, &JsonFieldNames::published>(
        "sources.directories[].json_fields.published", kJsonPublished),
    JsonFieldOption<&Config::directories, &JsonFieldNames::language>(
        "sources.directories[].json_fields.language", kJsonLanguage),

    // sources.kafka[]
    {.key = "sources.kafka[].topics",
     .type = OptionType::kStringList,
     .unit = "topics",
     .default_rule = DefaultRule::kRequired,
     .min_value = 1,
     .check = CheckSourceTopic,
     .bounds_text = "topic names, or regular expressions starting with `^`; not `kafka.topic` "
                    "or `kafka.dead_letter_topic` of the same cluster",
     .description = "Topics to consume; one starting with `^` is a regular expression that "
                    "librdkafka matches against every topic of the cluster, also ones created "
                    "later",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::topics>},
    {.key = "sources.kafka[].name",
     .type = OptionType::kString,
     .default_rule = DefaultRule::kComputed,
     .default_value = "first topic without a leading `^`",
     .compute_default = DefaultKafkaSourceName,
     .check = CheckNotEmpty,
     .bounds_text = "not empty, unique among all sources",
     .description = "Name of the source in logs, metrics and event origins",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::name>},
    {.key = "sources.kafka[].group_id",
     .type = OptionType::kString,
     .default_value = "newswire",
     .check = CheckNotEmpty,
     .bounds_text = "not empty",
     .description = "Consumer group: its members share the partitions, and its committed offsets "
                    "are where consumption resumes after a restart",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::group_id>},
    {.key = "sources.kafka[].brokers",
     .type = OptionType::kString,
     .default_value = R"("")",
     .check = CheckSourceBrokers,
     .bounds_text = "no empty entry between commas",
     .description = "Bootstrap servers of the cluster to consume from as `host:port,host:port`; "
                    "empty means those of `kafka.brokers`, the embedded broker included",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::brokers>},
    {.key = "sources.kafka[].format",
     .type = OptionType::kEnum,
     .default_value = "auto",
     .allowed_values = kRecordFormats,
     .description = "How a record without a `content-type` header is decoded; `auto` sniffs its "
                    "bytes. A `content-type` header always wins",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::format>},
    {.key = "sources.kafka[].auto_offset_reset",
     .type = OptionType::kEnum,
     .default_value = "earliest",
     .allowed_values = kOffsetResets,
     .description = "Where the group starts in a partition it has no committed offset for: "
                    "`earliest` takes every record the topic still holds, `latest` only new ones",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::auto_offset_reset>},
    {.key = "sources.kafka[].max_record_bytes",
     .type = OptionType::kByteSize,
     .unit = "bytes",
     .default_value = "16MiB",
     .min_value = kKibibyte,
     .max_value = kGibibyte,
     .bounds_text = "at most `limits.max_in_flight_bytes`",
     .description = "Larger records are dead-lettered without being decoded",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::max_record_bytes>},
    {.key = "sources.kafka[].commit_interval_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "5000",
     .min_value = 100,
     .max_value = kOneHourMs,
     .description = "How often the offsets of delivered records are committed; they are also "
                    "committed when partitions are revoked and at shutdown",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::commit_interval_ms>},
    {.key = "sources.kafka[].session_timeout_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "45000",
     .min_value = 1000,
     .max_value = kOneHourMs,
     .description = "How long the group waits for a heartbeat before it gives the consumer's "
                    "partitions to another member (librdkafka `session.timeout.ms`; the brokers "
                    "bound it further)",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::session_timeout_ms>},
    {.key = "sources.kafka[].revoke_timeout_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "10000",
     .min_value = 0,
     .max_value = 10 * 60 * 1000,
     .description = "How long a revoked partition waits for its records in flight before it is "
                    "let go; records not delivered by then are consumed again by its next owner",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::revoke_timeout_ms>},
    {.key = "sources.kafka[].max_prefetch_bytes",
     .type = OptionType::kByteSize,
     .unit = "bytes",
     .default_value = "64MiB",
     .min_value = kMebibyte,
     .max_value = kLibrdkafkaMaxPrefetchBytes,
     .description = "Records fetched ahead of the pipeline, across all partitions: half waits "
                    "in librdkafka's queue (`queued.max.messages.kbytes`), half in newswire "
                    "while the in-flight budget is used up; partitions pause when that half is "
                    "full",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::max_prefetch_bytes>},
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::title>(
        "sources.kafka[].json_fields.title", kJsonTitle),
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::body>(
        "sources.kafka[].json_fields.body", kJsonBody),
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::url>("sources.kafka[].json_fields.url",
                                                                  kJsonUrl),
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::author>(
        "sources.kafka[].json_fields.author", kJsonAuthor),
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::published>(
        "sources.kafka[].json_fields.published", kJsonPublished),
    JsonFieldOption<&Config::kafka_sources, &JsonFieldNames::language>(
        "sources.kafka[].json_fields.language", kJsonLanguage),
    {.key = "sources.kafka[].properties",
     .type = OptionType::kStringMap,
     .default_value = "{}",
     .description = "Extra librdkafka consumer properties such as `security.protocol` or "
                    "`partition.assignment.strategy`, passed through as strings",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::properties>},
    {.key = "sources.kafka[].secret_files",
     .type = OptionType::kStringMap,
     .default_value = "{}",
     .description = "librdkafka consumer properties read from files, as `kafka.secret_files`",
     .field = EntryField<&Config::kafka_sources, &KafkaSourceConfig::secret_files>},

    // limits
    {.key = "limits.max_in_flight_files",
     .type = OptionType::kInteger,
     .unit = "files",
     .default_value = "1000",
     .min_value = 1,
     .max_value = 1000000,
     .description = "Files taken but not yet delivered; sources pause at this many",
     .field = SectionField<&Config::limits, &LimitsConfig::max_in_flight_files>},
    {.key = "limits.max_in_flight_bytes",
     .type = OptionType::kByteSize,
     .unit = "bytes",
     .default_value = "256MiB",
     .min_value = kMebibyte,
     .max_value = kTebibyte,
     .description = "Bytes of files taken but not yet delivered; sources pause at this many",
     .field = SectionField<&Config::limits, &LimitsConfig::max_in_flight_bytes>},
    {.key = "limits.max_articles_per_item",
     .type = OptionType::kInteger,
     .unit = "articles",
     .default_value = "10000",
     .min_value = 1,
     .max_value = 10000000,
     .description = "Articles one file or record may hold (feed items, JSON array elements, "
                    "JSON lines); an item with more is refused whole (too_large), so one huge "
                    "feed cannot hold its events in memory",
     .field = SectionField<&Config::limits, &LimitsConfig::max_articles_per_item>},
    {.key = "limits.pipeline_threads",
     .type = OptionType::kInteger,
     .unit = "threads",
     .default_value = "0",
     .min_value = 0,
     .max_value = 1024,
     .description = "Threads that decode, normalize and classify; 0 means one per CPU core",
     .field = SectionField<&Config::limits, &LimitsConfig::pipeline_threads>},

    // log
    {.key = "log.level",
     .type = OptionType::kEnum,
     .default_value = "info",
     .allowed_values = kLogLevels,
     .description = "Least severe level that is logged",
     .field = SectionField<&Config::log, &LogConfig::level>,
     .reload = Reload::kLive},
    {.key = "log.format",
     .type = OptionType::kEnum,
     .default_value = "text",
     .allowed_values = kLogFormats,
     .description = "`text` for people, `json` (one object per line) for log collectors",
     .field = SectionField<&Config::log, &LogConfig::format>},
    {.key = "log.stats_interval_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "10000",
     .min_value = 1000,
     .max_value = kOneDayMs,
     .description = "How often the counters are logged",
     .field = SectionField<&Config::log, &LogConfig::stats_interval_ms>,
     .reload = Reload::kLive},
    {.key = "log.events",
     .type = OptionType::kBool,
     .default_value = "false",
     .description = "Log every delivered event; for demos, too noisy for production",
     .field = SectionField<&Config::log, &LogConfig::events>,
     .reload = Reload::kLive},

    // classify
    {.key = "classify.data_dir",
     .type = OptionType::kPath,
     .default_rule = DefaultRule::kComputed,
     .default_value = "`<binary>/../share/newswire` when it exists (an installed newswire), "
                      "else the source tree's `config/` (a build-tree binary)",
     .compute_default = DefaultDataDir,
     .check = CheckNotEmpty,
     .bounds_text = "not empty",
     .description = "Directory of the classifier's data: the IPTC taxonomy "
                    "`taxonomy/iptc-mediatopics.tsv` and the topic rules `rules/topics/*.yaml` "
                    "(docs/rules.md)",
     .field = SectionField<&Config::classify, &ClassifyConfig::data_dir>,
     .reload = Reload::kLive},
    {.key = "classify.model_file",
     .type = OptionType::kPath,
     .default_value = R"("")",
     .description = "Supervised fastText topic model written by `newswire train`, whose tags are "
                    "fused with the rules' (docs/classification.md); empty uses the rules alone",
     .field = SectionField<&Config::classify, &ClassifyConfig::model_file>,
     .reload = Reload::kLive},
    {.key = "classify.routes_file",
     .type = OptionType::kPath,
     .default_value = R"("")",
     .description = "Routes: articles whose topics and countries match also go to the route's "
                    "Kafka topic (docs/routes.md, example config/routes.yaml); reloaded with "
                    "SIGHUP; empty means no routes",
     .field = SectionField<&Config::classify, &ClassifyConfig::routes_file>,
     .reload = Reload::kLive},

    // duplicates
    {.key = "duplicates.window_articles",
     .type = OptionType::kInteger,
     .unit = "articles",
     .default_value = "100000",
     .min_value = 1,
     .max_value = 10000000,
     .description = "How many recent articles a new one is compared with for duplicates (and "
                    "kept in the state directory)",
     .field = SectionField<&Config::duplicates, &DuplicatesConfig::window_articles>},
    {.key = "duplicates.window_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "604800000",
     .min_value = 60000,
     .max_value = 90 * kOneDayMs,
     .description = "How old a remembered article may be and still be a duplicate's original",
     .field = SectionField<&Config::duplicates, &DuplicatesConfig::window_ms>},
    {.key = "duplicates.max_distance",
     .type = OptionType::kInteger,
     .unit = "bits",
     .default_value = "3",
     .min_value = 0,
     .max_value = 3,
     .description = "Most SimHash bits two bodies may differ in and still be near-duplicates "
                    "(3 is the setting of Manku et al.; 0 finds exact copies only)",
     .field = SectionField<&Config::duplicates, &DuplicatesConfig::max_distance>},

    // stories
    {.key = "stories.window_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "259200000",
     .min_value = 60000,
     .max_value = 90 * kOneDayMs,
     .description = "How long a story takes new articles after its last one",
     .field = SectionField<&Config::stories, &StoriesConfig::window_ms>},
    {.key = "stories.min_shared_percent",
     .type = OptionType::kInteger,
     .unit = "percent",
     .default_value = "50",
     .min_value = 1,
     .max_value = 100,
     .description = "Weighted share of an article's principal entities and topics a story must "
                    "have for the article to join it",
     .field = SectionField<&Config::stories, &StoriesConfig::min_shared_percent>},
    {.key = "stories.max_stories",
     .type = OptionType::kInteger,
     .unit = "stories",
     .default_value = "20000",
     .min_value = 1,
     .max_value = 1000000,
     .description = "Live stories kept; the least recently updated go first",
     .field = SectionField<&Config::stories, &StoriesConfig::max_stories>},

    // http
    {.key = "http.enabled",
     .type = OptionType::kBool,
     .default_value = "true",
     .description = "Serve the operator endpoint: `GET /metrics` (Prometheus text format), "
                    "`/health` and `/ready` (docs/operations.md)",
     .field = SectionField<&Config::http, &HttpConfig::enabled>},
    {.key = "http.address",
     .type = OptionType::kString,
     .default_value = "127.0.0.1",
     .check = CheckIpAddress,
     .bounds_text = "an IPv4 or IPv6 address",
     .description = "Address the endpoint listens on; loopback by default, `0.0.0.0` or `::` "
                    "for every interface (the endpoint has no authentication)",
     .field = SectionField<&Config::http, &HttpConfig::address>},
    {.key = "http.port",
     .type = OptionType::kInteger,
     .unit = "port",
     .default_value = "9681",
     .min_value = 0,
     .max_value = 65535,
     .description = "TCP port of the endpoint; 0 takes any free port (written to `address_file`)",
     .field = SectionField<&Config::http, &HttpConfig::port>},
    {.key = "http.address_file",
     .type = OptionType::kPath,
     .default_value = R"("")",
     .description = "File `address:port` of the endpoint is written to at start-up, for tools "
                    "that need to find it; empty writes none",
     .field = SectionField<&Config::http, &HttpConfig::address_file>},
    {.key = "http.unhealthy_after_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "30000",
     .min_value = 1000,
     .max_value = kOneHourMs,
     .description = "`/health` answers 503 once Kafka has been unreachable, or items waited "
                    "while none completed, for this long",
     .field = SectionField<&Config::http, &HttpConfig::unhealthy_after_ms>},

    // daemon
    {.key = "daemon.source_uri",
     .type = OptionType::kString,
     .default_rule = DefaultRule::kComputed,
     .default_value = "`newswire://<hostname>`",
     .compute_default = DefaultSourceUri,
     .check = CheckNotEmpty,
     .bounds_text = "not empty",
     .description = "CloudEvents `source` attribute of every produced event",
     .field = SectionField<&Config::daemon, &DaemonConfig::source_uri>},
    {.key = "daemon.state_dir",
     .type = OptionType::kPath,
     .default_value = "/var/lib/newswire",
     .check = CheckNotEmpty,
     .bounds_text = "not empty",
     .description = "Where newswire keeps what it remembers across restarts: the recent "
                    "articles behind duplicate and story detection (`<state_dir>/articles`, "
                    "LMDB); one daemon per directory",
     .field = SectionField<&Config::daemon, &DaemonConfig::state_dir>},
    {.key = "daemon.shutdown_timeout_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "30000",
     .min_value = 0,
     .max_value = kOneHourMs,
     .description = "How long a stop request waits for in-flight work before exiting anyway",
     .field = SectionField<&Config::daemon, &DaemonConfig::shutdown_timeout_ms>},
    {.key = "daemon.retry_backoff_ms",
     .type = OptionType::kDuration,
     .unit = "ms",
     .default_value = "5000",
     .min_value = 0,
     .max_value = kOneHourMs,
     .description = "Wait before an item whose delivery failed is processed again",
     .field = SectionField<&Config::daemon, &DaemonConfig::retry_backoff_ms>},
});

constexpr auto kEntryLists = std::to_array<EntryList>({
    {.key = kDirectoryListKey,
     .entries_text = "a list of directory entries",
     .entry_text = "a map with at least a path",
     .size = EntryCount<&Config::directories>,
     .resize = ResizeEntries<&Config::directories>,
     .location = EntryLocation<&Config::directories>,
     .reload = Reload::kLive},
    {.key = kKafkaSourceListKey,
     .entries_text = "a list of Kafka source entries",
     .entry_text = "a map with at least topics",
     .size = EntryCount<&Config::kafka_sources>,
     .resize = ResizeEntries<&Config::kafka_sources>,
     .location = EntryLocation<&Config::kafka_sources>},
});

}  // namespace

std::span<const Option> Options() { return kOptions; }

const Option* FindOption(std::string_view key) {
  for (const Option& option : kOptions) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

std::vector<std::string_view> ChildKeys(std::string_view prefix) {
  std::vector<std::string_view> children;
  for (const Option& option : kOptions) {
    if (!option.key.starts_with(prefix)) continue;
    std::string_view rest = option.key.substr(prefix.size());
    rest = rest.substr(0, rest.find('.'));
    if (std::find(children.begin(), children.end(), rest) == children.end()) {
      children.push_back(rest);
    }
  }
  return children;
}

std::span<const EntryList> EntryLists() { return kEntryLists; }

const EntryList* FindEntryList(std::string_view key) {
  for (const EntryList& list : kEntryLists) {
    if (list.key == key) return &list;
  }
  return nullptr;
}

const EntryList* ListOf(const Option& option) {
  for (const EntryList& list : kEntryLists) {
    if (option.key.starts_with(list.key) && option.key.substr(list.key.size()).starts_with("[].")) {
      return &list;
    }
  }
  return nullptr;
}

Reload ReloadOf(const Option& option) {
  const EntryList* list = ListOf(option);
  return list != nullptr ? list->reload : option.reload;
}

std::string DefaultDataDirectory() {
  namespace fs = std::filesystem;
  constexpr std::string_view kMarker = "taxonomy/iptc-mediatopics.tsv";
  std::error_code error;
  const fs::path binary = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path installed = binary.parent_path().parent_path() / "share" / "newswire";
    if (fs::exists(installed / kMarker, error)) return installed.string();
  }
  const fs::path source_tree = NEWSWIRE_SOURCE_DATA_DIR;
  if (fs::exists(source_tree / kMarker, error)) return source_tree.string();
  return "/usr/share/newswire";
}

}  // namespace newswire::config
