#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace newswire::config {

// Names of the JSON members that hold each article field; for each field the first name present
// wins. The defaults are those of pipeline::JsonFieldMapping, which the pipeline is given.
struct JsonFieldNames {
  std::vector<std::string> title = {"title", "headline"};
  std::vector<std::string> body = {"body", "text", "content", "articleBody"};
  std::vector<std::string> url = {"url"};
  std::vector<std::string> author = {"author"};
  std::vector<std::string> published = {"published", "datePublished"};
  std::vector<std::string> language = {"language"};

  bool operator==(const JsonFieldNames&) const = default;
};

// One feed directory to watch. Relative paths are resolved against the daemon's working
// directory when the config is loaded, so every path here is absolute after LoadConfig.
struct DirectorySourceConfig {
  enum class OnSuccess { kMove, kDelete };

  std::string name;  // defaults to the last component of `path`
  std::string path;
  bool recursive = false;
  std::vector<std::string> include = {"*"};  // fnmatch globs on the file name
  std::vector<std::string>
      exclude;  // applied after include; dotfiles, *.tmp, *.part, *.swp, *~ always excluded
  std::string processing_dir;  // default <path>/processing
  std::string done_dir;        // default <path>/done
  std::string failed_dir;      // default <path>/failed
  OnSuccess on_success = OnSuccess::kMove;
  std::int64_t max_file_bytes = std::int64_t{16} * 1024 * 1024;
  bool follow_symlinks = false;
  // A file found without a close-after-write (by a scan, or created by a hard link) is claimed
  // once its size and modification time have not changed for this long; 0 takes it at once.
  std::int64_t settle_ms = 2000;
  JsonFieldNames json_fields;  // for JSON and JSON Lines files
  // classify: decode, normalize, classify and publish events (the default). forward: publish
  // each file's bytes as they are to `forward_topic`, for instances in a consumer group
  // elsewhere to classify (an edge instance).
  std::string pipeline = "classify";
  std::string forward_topic = "news.articles.raw";
  std::string location;  // "file:line:col" of this entry, for start-up errors found later

  bool operator==(const DirectorySourceConfig&) const = default;
};

// One set of Kafka topics to consume articles from, in a consumer group: every record is one
// item (one file's worth of bytes). Offsets are stored only after everything made from a record
// was delivered, and committed every commit_interval_ms, on revoke and at shutdown.
struct KafkaSourceConfig {
  // Defaults to the first topic (without a leading '^'); unique among all sources.
  std::string name;
  // Required, at least one; a name starting with '^' is a regex librdkafka matches.
  std::vector<std::string> topics;
  std::string group_id = "newswire";
  std::string brokers;  // "" = kafka.brokers (the cluster the events go to, "embedded" included)
  // The format of a record without a content-type header: auto (sniffed), text, html, feed,
  // json or jsonl. A content-type header always wins.
  std::string format = "auto";
  std::string auto_offset_reset = "earliest";  // earliest|latest: where a new group starts
  std::int64_t max_record_bytes = std::int64_t{16} * 1024 * 1024;  // larger: dead-lettered
  std::int64_t commit_interval_ms = 5000;
  std::int64_t session_timeout_ms = 45000;
  // How long a revoked partition waits for its records in flight before it is let go.
  std::int64_t revoke_timeout_ms = 10000;
  // Records fetched ahead of the pipeline, in bytes (librdkafka queued.max.messages.kbytes, so
  // the loader allows at most 2097151 KiB).
  std::int64_t max_prefetch_bytes = std::int64_t{64} * 1024 * 1024;
  JsonFieldNames json_fields;                       // for JSON and JSON Lines records
  std::map<std::string, std::string> properties;    // passed to the librdkafka consumer as they are
  std::map<std::string, std::string> secret_files;  // as KafkaConfig::secret_files
  std::string location;  // "file:line:col" of this entry, for start-up errors found later
};

struct KafkaConfig {
  // Required: "host:port,host:port", or "embedded" for the in-process development broker.
  std::string brokers;
  std::string broker_file;  // where the bootstrap list is written; "" = nowhere
  std::string topic = "news.articles.tagged";
  std::string dead_letter_topic = "news.articles.dead-letter";
  std::string compression = "zstd";  // none|gzip|snappy|lz4|zstd
  std::int64_t message_timeout_ms = 300000;
  std::int64_t flush_timeout_ms = 30000;
  std::int64_t max_dead_letter_payload_bytes = std::int64_t{512} * 1024;
  std::int64_t embedded_partitions = 4;
  // Consume, classify and produce in Kafka transactions (every source a Kafka source).
  bool exactly_once = false;
  std::string transactional_id;  // required with exactly_once; unique per instance
  std::int64_t transaction_interval_ms = 500;
  std::map<std::string, std::string> properties;  // passed to librdkafka as they are
  // librdkafka property -> file holding its value (a password, say), read at load time into
  // `properties`, so that the secret is in neither the config nor its rendering.
  std::map<std::string, std::string> secret_files;
};

struct LimitsConfig {
  std::int64_t max_in_flight_files = 1000;
  std::int64_t max_in_flight_bytes = std::int64_t{256} * 1024 * 1024;
  std::int64_t pipeline_threads = 0;  // 0 = one per core
  std::int64_t max_articles_per_item = 10000;
};

struct LogConfig {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text|json
  std::int64_t stats_interval_ms = 10000;
  bool events = false;  // log every delivered event (the demo turns it on)
};

// The operator endpoint: GET /metrics (Prometheus), /health and /ready.
struct HttpConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";  // an IP literal; loopback by default
  std::int64_t port = 9681;           // 0 = any free port (see address_file)
  std::string address_file;           // where "address:port" is written at start; "" = nowhere
  // /health turns 503 once Kafka was unreachable, or nothing completed while work waited, for
  // this long.
  std::int64_t unhealthy_after_ms = 30000;
};

struct DuplicatesConfig {
  std::int64_t window_articles = 100000;
  std::int64_t window_ms = std::int64_t{7} * 24 * 3600 * 1000;
  std::int64_t max_distance = 3;
};

struct StoriesConfig {
  std::int64_t window_ms = std::int64_t{3} * 24 * 3600 * 1000;
  std::int64_t min_shared_percent = 50;
  std::int64_t max_stories = 20000;
};

struct DaemonConfig {
  std::string source_uri;  // CloudEvents `source`; default "newswire://<hostname>"
  std::string state_dir = "/var/lib/newswire";  // the article memory lives in <state_dir>/articles
  std::int64_t shutdown_timeout_ms = 30000;
  std::int64_t retry_backoff_ms = 5000;  // wait before re-processing an item whose delivery failed
};

struct ClassifyConfig {
  // The classifier's data: taxonomy/iptc-mediatopics.tsv and rules/topics/*.yaml.
  std::string data_dir;  // default: DefaultDataDirectory()
  // A topic model from `newswire train` (pipeline::TopicModel); "" = rules only.
  std::string model_file;
  std::string routes_file;  // YAML routes; "" = none
};

// The shipped classifier data: next to an installed binary (/usr/bin/newswire ->
// /usr/share/newswire), else the source tree's config/ for a binary run from its build tree,
// else /usr/share/newswire.
std::string DefaultDataDirectory();

// A line and column in the config file, 1-based; {0, 0} for none.
struct KeyPosition {
  int line = 0;
  int column = 0;

  auto operator<=>(const KeyPosition&) const = default;
};

struct Config {
  std::string file;  // the file it was loaded from
  // Where every key written in the file is, by concrete key ("kafka.properties.acks",
  // "sources.directories[1].path"), for errors found after loading (see Locate).
  std::map<std::string, KeyPosition> positions;
  KafkaConfig kafka;
  ClassifyConfig classify;
  DuplicatesConfig duplicates;
  StoriesConfig stories;
  std::vector<DirectorySourceConfig> directories;
  std::vector<KafkaSourceConfig> kafka_sources;  // sources.kafka
  LimitsConfig limits;
  LogConfig log;
  HttpConfig http;
  DaemonConfig daemon;
};

// One problem in a config file, located to the character.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error concerns the whole file
  int column = 0;  // 1-based
  std::string message;

  // "newswire.yaml:12:5: kafka.compresion: unknown key (did you mean 'compression'?)"
  std::string Describe() const;
};

using ConfigResult = tl::expected<Config, std::vector<ConfigError>>;

// Reads, parses and validates a config file. Returns every error found, not just the first.
ConfigResult LoadConfig(const std::string& path);

// Same, from text; `file_name` is used in error messages only.
ConfigResult ParseConfig(std::string_view yaml_text, const std::string& file_name);

// Where `key` or, when it was not written, the nearest key holding it was written; {0, 0} when
// none was.
KeyPosition PositionOf(const Config& config, std::string_view key);

// PositionOf as "file:line:col", the file alone when nothing was written. For errors found after
// loading: "run" and "check-config" report them in the same form as the loader's.
std::string Locate(const Config& config, std::string_view key);

// The effective configuration (defaults filled in) as YAML, for `newswire check-config`. The
// values of librdkafka properties read from secret_files, and of properties whose name says they
// are secret (IsSecretProperty), are written as "<redacted>".
std::string RenderConfig(const Config& config);

// Whether a librdkafka property holds a secret: its name contains "password" or "secret", or it
// is an inline PEM key or an OAUTHBEARER config (sasl.password, ssl.key.password,
// sasl.oauthbearer.client.secret, ssl.key.pem, sasl.oauthbearer.config, ...).
bool IsSecretProperty(std::string_view name);

// The keys whose value differs between the running config and one loaded at SIGHUP although they
// only take effect at a restart (Reload::kRestart in the option table), in table order: the
// dotted key for a section's option ("kafka.brokers"), "<list>[<i>].<leaf>" for an entry's
// option, or the list's key alone when entries were added or removed. Empty when everything that
// changed can be applied live.
std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& loaded);

// A Markdown table of every option: key, type, default, bounds, description. Generated from
// the same table the loader uses, for docs/configuration.md and `newswire config-reference`.
std::string ConfigReference();

}  // namespace newswire::config
