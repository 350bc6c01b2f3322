#include "daemon/config/config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/config/byte_size.h"
#include "daemon/config/option_table.h"

namespace newswire::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kMinimalSources = R"(sources:
  directories:
    - path: /srv/feeds/reuters
)";

// kafka.brokers has no default: every config names its cluster. The tests' is the development
// broker unless they name another.
constexpr std::string_view kDevelopmentBroker = "kafka:\n  brokers: embedded\n";

// The development broker and one feed directory, last so that a test can add to `sources:`.
constexpr std::string_view kMinimal = R"(kafka:
  brokers: embedded
sources:
  directories:
    - path: /srv/feeds/reuters
)";

std::string WithDevelopmentBroker(std::string_view sections);

// Every error of `yaml`, as it is, as ConfigError::Describe() renders it; empty when the config is
// valid.
std::vector<std::string> ErrorsOfExactly(std::string_view yaml) {
  const ConfigResult result = ParseConfig(yaml, "test.yaml");
  std::vector<std::string> described;
  if (!result) {
    for (const ConfigError& error : result.error()) described.push_back(error.Describe());
  }
  return described;
}

// Every error of `yaml` with the development broker (WithDevelopmentBroker).
std::vector<std::string> ErrorsOf(std::string_view yaml) {
  return ErrorsOfExactly(WithDevelopmentBroker(yaml));
}

// `yaml` with the development broker, parsed; a test failure when it is not valid.
Config ParseValid(std::string_view yaml) {
  ConfigResult result = ParseConfig(WithDevelopmentBroker(yaml), "test.yaml");
  if (!result) {
    std::string errors;
    for (const ConfigError& error : result.error()) errors += error.Describe() + "\n";
    ADD_FAILURE() << "unexpected errors:\n" << errors;
    return Config{};
  }
  return *std::move(result);
}

// A config with one Kafka source and nothing else.
constexpr std::string_view kMinimalKafka = R"(kafka:
  brokers: embedded
sources:
  kafka:
    - topics: [news.raw]
)";

// kafka.brokers has no default, and most tests are about other keys: `sections` with the
// development broker added to their `kafka:` section, at its end so that the lines before keep
// their numbers, unless they name brokers themselves; or, without a `kafka:` section, followed by
// one. Tests of text that is not a map of sections use ErrorsOfExactly.
std::string WithDevelopmentBroker(std::string_view sections) {
  std::string text(sections);
  if (!text.empty() && !text.ends_with('\n')) text += '\n';
  // Where each top-level line starts; the kafka section's line, if any.
  std::vector<std::size_t> top_level;
  std::optional<std::size_t> kafka;
  for (std::size_t start = 0; start < text.size(); start = text.find('\n', start) + 1) {
    const char first = text[start];
    if (first == ' ' || first == '#' || first == '\n') continue;
    // Not a map of sections (a list, several documents): as it is.
    if (first == '-' || !(first >= 'a' && first <= 'z')) return text;
    top_level.push_back(start);
    if (text.compare(start, 7, "kafka:\n") == 0) kafka = start;
    // A kafka section written on one line, or naming its brokers: as it is.
    if (text.compare(start, 7, "kafka: ") == 0) return text;
  }
  if (top_level.empty()) return text;
  if (!kafka) return text + std::string(kDevelopmentBroker);
  // The section ends where the next top-level line starts.
  const auto next = std::upper_bound(top_level.begin(), top_level.end(), *kafka);
  const std::size_t section_end = next == top_level.end() ? text.size() : *next;
  const std::size_t brokers = text.find("\n  brokers:", *kafka);
  if (brokers != std::string::npos && brokers < section_end) return text;
  text.insert(section_end, "  brokers: embedded\n");
  return text;
}

// The minimal config with `sections` put in front of it, and the development broker.
std::string WithDirectory(std::string_view sections) {
  return WithDevelopmentBroker(sections) + std::string(kMinimalSources);
}

std::string HostName() {
  std::array<char, 256> name{};
  EXPECT_EQ(gethostname(name.data(), name.size() - 1), 0);
  return name.data();
}

std::string ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Every field except where a directory entry was written, which differs between two files.
auto Fields(const DirectorySourceConfig& directory) {
  return std::tie(directory.name, directory.path, directory.recursive, directory.include,
                  directory.exclude, directory.processing_dir, directory.done_dir,
                  directory.failed_dir, directory.on_success, directory.max_file_bytes,
                  directory.follow_symlinks, directory.settle_ms);
}

auto Fields(const JsonFieldNames& names) {
  return std::tie(names.title, names.body, names.url, names.author, names.published,
                  names.language);
}

// Every field except where the entry was written.
auto Fields(const KafkaSourceConfig& source) {
  return std::tuple_cat(
      std::tie(source.name, source.topics, source.group_id, source.brokers, source.format,
               source.auto_offset_reset, source.max_record_bytes, source.commit_interval_ms,
               source.session_timeout_ms, source.revoke_timeout_ms, source.max_prefetch_bytes,
               source.properties),
      Fields(source.json_fields));
}

auto Fields(const KafkaConfig& kafka) {
  return std::tie(kafka.brokers, kafka.broker_file, kafka.topic, kafka.dead_letter_topic,
                  kafka.compression, kafka.message_timeout_ms, kafka.flush_timeout_ms,
                  kafka.max_dead_letter_payload_bytes, kafka.embedded_partitions, kafka.properties);
}

auto Fields(const LimitsConfig& limits) {
  return std::tie(limits.max_in_flight_files, limits.max_in_flight_bytes, limits.pipeline_threads);
}

auto Fields(const LogConfig& log) {
  return std::tie(log.level, log.format, log.stats_interval_ms, log.events);
}

auto Fields(const DaemonConfig& daemon) {
  return std::tie(daemon.source_uri, daemon.shutdown_timeout_ms, daemon.retry_backoff_ms);
}

void ExpectSameSettings(const Config& expected, const Config& actual) {
  EXPECT_TRUE(Fields(expected.kafka) == Fields(actual.kafka));
  EXPECT_TRUE(Fields(expected.limits) == Fields(actual.limits));
  EXPECT_TRUE(Fields(expected.log) == Fields(actual.log));
  EXPECT_TRUE(Fields(expected.daemon) == Fields(actual.daemon));
  ASSERT_EQ(expected.directories.size(), actual.directories.size());
  for (std::size_t index = 0; index < expected.directories.size(); ++index) {
    EXPECT_TRUE(Fields(expected.directories[index]) == Fields(actual.directories[index]))
        << "directory " << index;
    EXPECT_TRUE(Fields(expected.directories[index].json_fields) ==
                Fields(actual.directories[index].json_fields))
        << "directory " << index;
  }
  ASSERT_EQ(expected.kafka_sources.size(), actual.kafka_sources.size());
  for (std::size_t index = 0; index < expected.kafka_sources.size(); ++index) {
    EXPECT_TRUE(Fields(expected.kafka_sources[index]) == Fields(actual.kafka_sources[index]))
        << "Kafka source " << index;
  }
}

TEST(ConfigTest, MinimalConfigTakesEveryDefault) {
  const Config config = ParseValid(kMinimal);

  EXPECT_EQ(config.file, "test.yaml");
  // The option table's defaults must agree with the struct initializers in config.h, which
  // other modules rely on when they build a Config in code.
  // kafka.brokers, required, is the one key kMinimal sets.
  KafkaConfig kafka_defaults;
  kafka_defaults.brokers = "embedded";
  EXPECT_TRUE(Fields(config.kafka) == Fields(kafka_defaults));
  EXPECT_TRUE(Fields(config.limits) == Fields(LimitsConfig{}));
  EXPECT_TRUE(Fields(config.log) == Fields(LogConfig{}));
  EXPECT_EQ(config.daemon.shutdown_timeout_ms, DaemonConfig{}.shutdown_timeout_ms);
  EXPECT_EQ(config.daemon.retry_backoff_ms, DaemonConfig{}.retry_backoff_ms);
  EXPECT_EQ(config.daemon.source_uri, "newswire://" + HostName());

  EXPECT_EQ(config.kafka.brokers, "embedded");
  EXPECT_EQ(config.kafka.broker_file, "");
  EXPECT_EQ(config.kafka.topic, "news.articles.tagged");
  EXPECT_EQ(config.kafka.compression, "zstd");
  EXPECT_EQ(config.kafka.max_dead_letter_payload_bytes, 512 * 1024);
  EXPECT_EQ(config.limits.max_in_flight_bytes, 256 * 1024 * 1024);
  EXPECT_EQ(config.log.level, "info");

  ASSERT_EQ(config.directories.size(), 1u);
  const DirectorySourceConfig& directory = config.directories[0];
  EXPECT_EQ(directory.path, "/srv/feeds/reuters");
  EXPECT_EQ(directory.name, "reuters");
  EXPECT_EQ(directory.processing_dir, "/srv/feeds/reuters/processing");
  EXPECT_EQ(directory.done_dir, "/srv/feeds/reuters/done");
  EXPECT_EQ(directory.failed_dir, "/srv/feeds/reuters/failed");
  EXPECT_EQ(directory.location, "test.yaml:5:7");
  const DirectorySourceConfig defaults;
  EXPECT_EQ(directory.recursive, defaults.recursive);
  EXPECT_EQ(directory.include, defaults.include);
  EXPECT_EQ(directory.include, std::vector<std::string>{"*"});
  EXPECT_EQ(directory.exclude, defaults.exclude);
  EXPECT_EQ(directory.on_success, defaults.on_success);
  EXPECT_EQ(directory.max_file_bytes, defaults.max_file_bytes);
  EXPECT_EQ(directory.follow_symlinks, defaults.follow_symlinks);
  EXPECT_EQ(directory.settle_ms, 2000);
  EXPECT_THAT(config.kafka_sources, IsEmpty());
}

TEST(ConfigTest, EveryKeyIsReadIntoItsField) {
  const Config config = ParseValid(R"(kafka:
  brokers: "k1:9092,k2:9092"
  broker_file: /run/newswire/broker
  topic: articles
  dead_letter_topic: articles.dead
  compression: lz4
  message_timeout_ms: 60000
  flush_timeout_ms: 0
  max_dead_letter_payload_bytes: 4096
  embedded_partitions: 2
  properties:
    ssl.ca.location: /etc/ca.pem
    batch.num.messages: 500
    enable.idempotence: true
sources:
  directories:
    - path: /data/in
      name: wire
      recursive: true
      include: ["*.xml", "*.txt"]
      exclude: ["draft-*"]
      processing_dir: /data/work
      done_dir: /data/archive
      failed_dir: /data/rejected
      on_success: delete
      max_file_bytes: 2MiB
      follow_symlinks: true
      settle_ms: 500
limits:
  max_in_flight_files: 10
  max_in_flight_bytes: 64MiB
  pipeline_threads: 3
log:
  level: debug
  format: json
  stats_interval_ms: 2000
  events: true
daemon:
  source_uri: newswire://ingest-1
  shutdown_timeout_ms: 1000
  retry_backoff_ms: 250
)");
  EXPECT_EQ(config.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(config.kafka.broker_file, "/run/newswire/broker");
  EXPECT_EQ(config.kafka.topic, "articles");
  EXPECT_EQ(config.kafka.dead_letter_topic, "articles.dead");
  EXPECT_EQ(config.kafka.compression, "lz4");
  EXPECT_EQ(config.kafka.message_timeout_ms, 60000);
  EXPECT_EQ(config.kafka.flush_timeout_ms, 0);
  EXPECT_EQ(config.kafka.max_dead_letter_payload_bytes, 4096);
  EXPECT_EQ(config.kafka.embedded_partitions, 2);
  // Property values are scalars of any YAML kind, handed to librdkafka as their text.
  EXPECT_EQ(config.kafka.properties, (std::map<std::string, std::string>{
                                         {"batch.num.messages", "500"},
                                         {"enable.idempotence", "true"},
                                         {"ssl.ca.location", "/etc/ca.pem"},
                                     }));
  ASSERT_EQ(config.directories.size(), 1u);
  const DirectorySourceConfig& directory = config.directories[0];
  EXPECT_EQ(directory.path, "/data/in");
  EXPECT_EQ(directory.name, "wire");
  EXPECT_TRUE(directory.recursive);
  EXPECT_EQ(directory.include, (std::vector<std::string>{"*.xml", "*.txt"}));
  EXPECT_EQ(directory.exclude, std::vector<std::string>{"draft-*"});
  EXPECT_EQ(directory.processing_dir, "/data/work");
  EXPECT_EQ(directory.done_dir, "/data/archive");
  EXPECT_EQ(directory.failed_dir, "/data/rejected");
  EXPECT_EQ(directory.on_success, DirectorySourceConfig::OnSuccess::kDelete);
  EXPECT_EQ(directory.max_file_bytes, 2 * 1024 * 1024);
  EXPECT_TRUE(directory.follow_symlinks);
  EXPECT_EQ(directory.settle_ms, 500);
  EXPECT_EQ(config.limits.max_in_flight_files, 10);
  EXPECT_EQ(config.limits.max_in_flight_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(config.limits.pipeline_threads, 3);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, "json");
  EXPECT_EQ(config.log.stats_interval_ms, 2000);
  EXPECT_TRUE(config.log.events);
  EXPECT_EQ(config.daemon.source_uri, "newswire://ingest-1");
  EXPECT_EQ(config.daemon.shutdown_timeout_ms, 1000);
  EXPECT_EQ(config.daemon.retry_backoff_ms, 250);
}

TEST(ConfigTest, DescribeOmitsThePositionOfWholeFileErrors) {
  EXPECT_EQ((ConfigError{.file = "a.yaml", .line = 12, .column = 5, .message = "bad"}).Describe(),
            "a.yaml:12:5: bad");
  EXPECT_EQ((ConfigError{.file = "a.yaml", .message = "bad"}).Describe(), "a.yaml: bad");
}

TEST(ConfigTest, UnknownKeySuggestsTheClosestKnownKey) {
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  compresion: lz4\n")),
              ElementsAre("test.yaml:2:3: kafka.compresion: unknown key (did you mean "
                          "'compression'?)"));
  // A swap of two letters counts as one edit.
  EXPECT_THAT(ErrorsOf(WithDirectory("lgo:\n  level: info\n")),
              ElementsAre("test.yaml:1:1: lgo: unknown key (did you mean 'log'?)"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /srv/a\n      recursiv: true\n"),
              ElementsAre("test.yaml:4:7: sources.directories[0].recursiv: unknown key (did you "
                          "mean 'recursive'?)"));
}

TEST(ConfigTest, UnknownKeyWithoutCloseCandidateListsTheKnownKeys) {
  EXPECT_THAT(ErrorsOf(WithDirectory("limits:\n  memory: 1GiB\n")),
              ElementsAre("test.yaml:2:3: limits.memory: unknown key; expected one of "
                          "max_in_flight_files, max_in_flight_bytes, max_articles_per_item, "
                          "pipeline_threads"));
}

TEST(ConfigTest, WrongTypesNameTheKeyTheExpectedTypeAndWhatWasFound) {
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  message_timeout_ms: soon\n")),
              ElementsAre("test.yaml:2:23: kafka.message_timeout_ms: expected an integer number of "
                          "milliseconds, found 'soon'"));
  // Quoted, it is a string in YAML, whatever it looks like.
  EXPECT_THAT(ErrorsOf(WithDirectory("limits:\n  pipeline_threads: \"4\"\n")),
              ElementsAre("test.yaml:2:21: limits.pipeline_threads: expected an integer, found "
                          "the quoted string \"4\""));
  EXPECT_THAT(ErrorsOf(WithDirectory("log:\n  events: \"true\"\n")),
              ElementsAre("test.yaml:2:11: log.events: expected a boolean (true or false), found "
                          "the quoted string \"true\""));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    path: /srv/a\n"),
              ElementsAre("test.yaml:3:5: sources.directories: expected a list of directory "
                          "entries, found a map"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka: [a, b]\n")),
              ElementsAre("test.yaml:1:8: kafka: expected a map, found a list"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic: [a]\n")),
              ElementsAre("test.yaml:2:10: kafka.topic: expected a string, found a list"));
  // A key with nothing after it is null; the error points at the key.
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic:\n")),
              ElementsAre("test.yaml:2:3: kafka.topic: expected a string, found null"));
  EXPECT_THAT(
      ErrorsOf("sources:\n  directories:\n    - path: /srv/a\n      include: [\"*\", [x]]\n"),
      ElementsAre("test.yaml:4:22: sources.directories[0].include[1]: expected a string, found "
                  "a list"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - /srv/a\n"),
              ElementsAre("test.yaml:3:7: sources.directories[0]: expected a map with at least a "
                          "path, found '/srv/a'"));
}

TEST(ConfigTest, YamlBooleanSpellingsAreAccepted) {
  const Config config = ParseValid(R"(log:
  events: yes
sources:
  directories:
    - path: /srv/a
      recursive: on
      follow_symlinks: True
    - path: /srv/b
      recursive: no
)");
  EXPECT_TRUE(config.log.events);
  ASSERT_EQ(config.directories.size(), 2u);
  EXPECT_TRUE(config.directories[0].recursive);
  EXPECT_TRUE(config.directories[0].follow_symlinks);
  EXPECT_FALSE(config.directories[1].recursive);
  EXPECT_THAT(ErrorsOf(WithDirectory("log:\n  events: maybe\n")),
              ElementsAre("test.yaml:2:11: log.events: expected a boolean (true or false), found "
                          "'maybe'"));
}

TEST(ConfigTest, ValuesOutOfBoundsStateTheBounds) {
  EXPECT_THAT(ErrorsOf(WithDirectory("limits:\n  pipeline_threads: 5000\n")),
              ElementsAre("test.yaml:2:21: limits.pipeline_threads: 5000 is out of bounds; must "
                          "be between 0 and 1024"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  message_timeout_ms: 99999999999999999999\n")),
              ElementsAre("test.yaml:2:23: kafka.message_timeout_ms: 99999999999999999999 is out "
                          "of bounds; must be between 1000 and 2147483647"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /srv/a\n      max_file_bytes: 2GiB\n"
                       "limits:\n  max_in_flight_bytes: 4GiB\n"),
              ElementsAre("test.yaml:4:23: sources.directories[0].max_file_bytes: 2GiB is out of "
                          "bounds; must be between 1 and 1GiB"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  max_dead_letter_payload_bytes: -1\n")),
              ElementsAre("test.yaml:2:34: kafka.max_dead_letter_payload_bytes: -1 is out of "
                          "bounds; must be between 0 and 64MiB"));
}

TEST(ConfigTest, EnumErrorsListTheAllowedValues) {
  EXPECT_THAT(ErrorsOf(WithDirectory("log:\n  level: verbose\n")),
              ElementsAre("test.yaml:2:10: log.level: 'verbose' is not allowed; expected one of "
                          "trace, debug, info, warn, error"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /srv/a\n      on_success: keep\n"),
              ElementsAre("test.yaml:4:19: sources.directories[0].on_success: 'keep' is not "
                          "allowed; expected one of move, delete"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  compression: [zstd]\n")),
              ElementsAre("test.yaml:2:16: kafka.compression: expected one of none, gzip, snappy, "
                          "lz4, zstd, found a list"));
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(ErrorsOf(WithDirectory("log:\n  level: info\n  level: debug\n")),
              ElementsAre("test.yaml:3:3: log.level: duplicate key; it is already set at line 2"));
}

TEST(ConfigTest, SyntaxErrorIsOneLocatedError) {
  const ConfigResult result = ParseConfig("kafka:\n  topic: [a, b\nlimits: {}\n", "test.yaml");
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].Describe(),
            "test.yaml:3:7: invalid YAML: end of sequence flow not found");
  EXPECT_THAT(ErrorsOf("kafka:\n  topic: a\n   brokers: b\n"),
              ElementsAre("test.yaml:3:11: invalid YAML: illegal map value"));
}

// Found by tests/fuzz (fuzz_config): yaml-cpp 0.7's LoadAll loops forever on these, allocating
// until the process is killed, so `newswire check-config` never answered.
TEST(ConfigTest, ACommaAtTheTopLevelIsAnErrorNotAHang) {
  for (const std::string text : {",", ", a: b\nlog:\n  level: info\n", "kafka: {}\n,\n"}) {
    const ConfigResult result = ParseConfig(text, "test.yaml");
    ASSERT_FALSE(result.has_value()) << text;
    ASSERT_EQ(result.error().size(), 1u) << text;
    EXPECT_THAT(result.error()[0].Describe(), ::testing::StartsWith("test.yaml:"));
    EXPECT_THAT(result.error()[0].Describe(), HasSubstr("invalid YAML"));
  }
}

// A directory of its own under the system temp dir, removed at destruction.
class SecretDirectory {
 public:
  SecretDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "newswire-secrets-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~SecretDirectory() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file) << content;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Sets an environment variable for the life of the object, then puts back what was there.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* previous = std::getenv(name)) previous_ = previous;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnvironment() {
    if (previous_) {
      setenv(name_, previous_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

// systemd's LoadCredential= puts a root-only secret where the service's dynamic user can read it,
// and says where in $CREDENTIALS_DIRECTORY; secret_files paths name it as ${CREDENTIALS_DIRECTORY}.
TEST(ConfigTest, SecretFilesExpandTheCredentialsDirectory) {
  const SecretDirectory credentials;
  credentials.Write("kafka-password", "from-credentials\n");
  constexpr std::string_view kYaml = R"(kafka:
  brokers: kafka-1:9092
  secret_files:
    sasl.password: ${CREDENTIALS_DIRECTORY}/kafka-password
sources:
  kafka:
    - topics: [news.raw]
      secret_files:
        sasl.password: ${CREDENTIALS_DIRECTORY}/kafka-password
)";
  {
    const ScopedEnvironment environment("CREDENTIALS_DIRECTORY", credentials.path().c_str());
    const Config config = ParseValid(kYaml);
    EXPECT_EQ(config.kafka.properties.at("sasl.password"), "from-credentials");
    EXPECT_EQ(config.kafka.secret_files.at("sasl.password"),
              (credentials.path() / "kafka-password").string());
    ASSERT_EQ(config.kafka_sources.size(), 1U);
    EXPECT_EQ(config.kafka_sources[0].properties.at("sasl.password"), "from-credentials");
  }
  const ScopedEnvironment environment("CREDENTIALS_DIRECTORY", nullptr);
  EXPECT_THAT(ErrorsOf(kYaml),
              ElementsAre(HasSubstr("test.yaml:4:20: kafka.secret_files.sasl.password: "
                                    "'${CREDENTIALS_DIRECTORY}/kafka-password' names "
                                    "${CREDENTIALS_DIRECTORY} but it is not set: systemd sets it "
                                    "for a unit with LoadCredential="),
                          HasSubstr("test.yaml:9:24: sources.kafka[0].secret_files.sasl.password: "
                                    "'${CREDENTIALS_DIRECTORY}/kafka-password' names")));
}

TEST(ConfigTest, SecretFilesAreReadIntoThePropertiesAndNeverRendered) {
  const SecretDirectory secrets;
  const std::string producer = secrets.Write("producer", "s3cr3t-producer\n");
  const std::string consumer = secrets.Write("consumer", "s3cr3t-consumer");
  const Config config = ParseValid(fmt::format(R"(kafka:
  properties:
    security.protocol: sasl_ssl
    ssl.key.password: inline-secret
  secret_files:
    sasl.password: {}
sources:
  kafka:
    - topics: [news.raw]
      secret_files:
        sasl.password: {}
)",
                                               producer, consumer));
  EXPECT_EQ(config.kafka.properties.at("sasl.password"), "s3cr3t-producer");
  EXPECT_EQ(config.kafka.properties.at("security.protocol"), "sasl_ssl");
  ASSERT_EQ(config.kafka_sources.size(), 1U);
  EXPECT_EQ(config.kafka_sources[0].properties.at("sasl.password"), "s3cr3t-consumer");

  const std::string rendered = RenderConfig(config);
  EXPECT_THAT(rendered, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(rendered, Not(HasSubstr("inline-secret")));
  EXPECT_THAT(rendered, HasSubstr("sasl_ssl"));
  EXPECT_THAT(rendered, HasSubstr(producer));
  EXPECT_THAT(rendered, HasSubstr("<redacted>"));
  EXPECT_TRUE(IsSecretProperty("sasl.oauthbearer.client.secret"));
  EXPECT_TRUE(IsSecretProperty("ssl.key.pem"));
  EXPECT_FALSE(IsSecretProperty("ssl.ca.location"));
}

TEST(ConfigTest, SecretFilesThatCannotBeUsedAreErrorsAtTheirKey) {
  const SecretDirectory secrets;
  const std::string empty = secrets.Write("empty", "\n");
  const std::string password = secrets.Write("password", "pw\n");
  const auto errors = ErrorsOf(WithDirectory(fmt::format(R"(kafka:
  properties:
    sasl.username: newswire
    sasl.password: inline
  secret_files:
    sasl.password: {}
    sasl.oauthbearer.client.secret: /nonexistent/newswire/secret
    ssl.key.password: {}
)",
                                                         password, empty)));
  ASSERT_EQ(errors.size(), 3U) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr(
                          "kafka.secret_files.sasl.password: sasl.password is also set")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr(
                          "kafka.secret_files.sasl.oauthbearer.client.secret: cannot read "
                          "/nonexistent/newswire/secret")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr(
                          "kafka.secret_files.ssl.key.password: " + empty + " is empty")));
  for (const auto& error : errors) EXPECT_THAT(error, ::testing::StartsWith("test.yaml:"));
}

TEST(ConfigTest, EmptyConfigIsAnError) {
  const std::string empty =
      "test.yaml: the config is empty; at least one of sources.directories or sources.kafka is "
      "needed";
  EXPECT_THAT(ErrorsOf(""), ElementsAre(empty));
  EXPECT_THAT(ErrorsOf("# only a comment\n\n   # and another\n"), ElementsAre(empty));
  EXPECT_THAT(ErrorsOf("---\n"), ElementsAre(empty));
}

TEST(ConfigTest, TopLevelMustBeASingleMap) {
  EXPECT_THAT(
      ErrorsOf("- kafka\n"),
      ElementsAre(
          "test.yaml:1:1: expected a map of sections (kafka, sources, limits, "
          "log, classify, duplicates, stories, http, daemon) at the top level, found a list"));
  EXPECT_THAT(ErrorsOf(std::string(kMinimal) + "---\nlog: {}\n"),
              ElementsAre("test.yaml:7:1: a second YAML document; the config must be a single "
                          "document"));
}

TEST(ConfigTest, UnreadableFileNamesThePathAndTheReason) {
  const std::string missing = std::filesystem::temp_directory_path() / "newswire-no-such.yaml";
  const ConfigResult result = LoadConfig(missing);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1u);
  const ConfigError& error = result.error()[0];
  EXPECT_EQ(error.file, missing);
  EXPECT_EQ(error.line, 0);
  EXPECT_EQ(error.message, std::string("cannot read the config file: ") + std::strerror(ENOENT));
  EXPECT_EQ(error.Describe(), missing + ": cannot read the config file: No such file or directory");

  const ConfigResult directory = LoadConfig(std::filesystem::temp_directory_path());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error()[0].message,
            std::string("cannot read the config file: ") + std::strerror(EISDIR));
}

TEST(ConfigTest, SeveralErrorsAreReportedTogetherInFileOrder) {
  EXPECT_THAT(
      ErrorsOfExactly(R"(kafka:
  compresion: zstd
  message_timeout_ms: soon
limits:
  pipeline_threads: -1
log:
  level: loud
sources:
  directories:
    - path: /srv/feeds/a
      recursive: maybe
    - name: b
)"),
      ElementsAre(
          "test.yaml:2:3: kafka.compresion: unknown key (did you mean 'compression'?)",
          "test.yaml:2:3: kafka.brokers: required key is missing: Bootstrap servers of the Kafka "
          "cluster as `host:port,host:port`. There is no default: write `embedded` for a demo or a "
          "test, which starts librdkafka's mock cluster in the process (in memory, lost at exit, "
          "not for production)",
          "test.yaml:3:23: kafka.message_timeout_ms: expected an integer number of milliseconds, "
          "found 'soon'",
          "test.yaml:5:21: limits.pipeline_threads: -1 is out of bounds; must be between 0 and "
          "1024",
          "test.yaml:7:10: log.level: 'loud' is not allowed; expected one of trace, debug, info, "
          "warn, error",
          "test.yaml:11:18: sources.directories[0].recursive: expected a boolean (true or false), "
          "found 'maybe'",
          "test.yaml:12:7: sources.directories[1].path: required key is missing"));
}

TEST(ConfigTest, ByteSizesAcceptIntegersAndUnits) {
  EXPECT_EQ(ParseByteSize("1048576"), 1048576);
  EXPECT_EQ(ParseByteSize("512KiB"), 512 * 1024);
  EXPECT_EQ(ParseByteSize("16MiB"), 16 * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("16 MiB"), 16 * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("1GiB"), std::int64_t{1} << 30);
  EXPECT_EQ(ParseByteSize("2TiB"), std::int64_t{2} << 40);
  EXPECT_EQ(ParseByteSize("10MB"), 10'000'000);
  EXPECT_EQ(ParseByteSize("10kB"), 10'000);
  EXPECT_EQ(ParseByteSize("3GB"), 3'000'000'000);
  EXPECT_EQ(ParseByteSize("100B"), 100);
  EXPECT_EQ(ParseByteSize("-1"), -1);

  EXPECT_EQ(ParseByteSize("16 megs").error(),
            "'16 megs' has an unknown unit 'megs'; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB");
  EXPECT_EQ(ParseByteSize("1.5GiB").error(),
            "'1.5GiB' has an unknown unit '.5GiB'; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB");
  EXPECT_EQ(ParseByteSize("-1MiB").error(),
            "'-1MiB' is not a size; write bytes as an integer or with a unit such as 512KiB, "
            "16MiB, 1GiB or 10MB");
  EXPECT_EQ(ParseByteSize("MiB").error(),
            "'MiB' is not a size; write bytes as an integer or with a unit such as 512KiB, 16MiB, "
            "1GiB or 10MB");
  EXPECT_EQ(ParseByteSize("9999999TiB").error(), "'9999999TiB' is too large");
  EXPECT_EQ(ParseByteSize("").error(), "the size is empty");

  EXPECT_EQ(FormatByteSize(std::int64_t{16} * 1024 * 1024), "16MiB");
  EXPECT_EQ(FormatByteSize(1536), "1536");
  EXPECT_EQ(FormatByteSize(std::int64_t{3} * 1024), "3KiB");
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(10'000'000), "10000000");
}

TEST(ConfigTest, ByteSizeKeysTakeUnits) {
  const Config config = ParseValid(R"(kafka:
  max_dead_letter_payload_bytes: 512KiB
sources:
  directories:
    - path: /srv/a
      max_file_bytes: 10MB
    - path: /srv/b
      max_file_bytes: "1048576"
limits:
  max_in_flight_bytes: 1GiB
)");
  EXPECT_EQ(config.kafka.max_dead_letter_payload_bytes, 512 * 1024);
  ASSERT_EQ(config.directories.size(), 2u);
  EXPECT_EQ(config.directories[0].max_file_bytes, 10'000'000);
  EXPECT_EQ(config.directories[1].max_file_bytes, 1048576);
  EXPECT_EQ(config.limits.max_in_flight_bytes, std::int64_t{1} << 30);
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /srv/a\n      max_file_bytes: 16 "
                       "megs\n"),
              ElementsAre("test.yaml:4:23: sources.directories[0].max_file_bytes: '16 megs' has "
                          "an unknown unit 'megs'; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB"));
}

TEST(ConfigTest, RelativePathsResolveAgainstTheWorkingDirectory) {
  const std::filesystem::path working_directory = std::filesystem::current_path();
  const Config config = ParseValid(R"(kafka:
  broker_file: var/broker
sources:
  directories:
    - path: feeds/./reuters/
      failed_dir: ../rejected
)");
  EXPECT_EQ(config.kafka.broker_file, (working_directory / "var/broker").string());
  ASSERT_EQ(config.directories.size(), 1u);
  const DirectorySourceConfig& directory = config.directories[0];
  EXPECT_EQ(directory.path, (working_directory / "feeds/reuters").string());
  EXPECT_EQ(directory.name, "reuters");
  EXPECT_EQ(directory.processing_dir, (working_directory / "feeds/reuters/processing").string());
  EXPECT_EQ(directory.failed_dir,
            (working_directory.parent_path() / "rejected").lexically_normal().string());
}

TEST(ConfigTest, AtLeastOneSourceIsRequired) {
  const std::string message =
      "sources: at least one of sources.directories or sources.kafka is needed";
  EXPECT_THAT(ErrorsOf("log:\n  level: info\n"), ElementsAre("test.yaml: " + message));
  EXPECT_THAT(ErrorsOf("sources:\n"), ElementsAre("test.yaml:1:1: " + message));
  EXPECT_THAT(ErrorsOf("sources:\n  directories: []\n"), ElementsAre("test.yaml:2:16: " + message));
  // The error points at the list that was written.
  EXPECT_THAT(ErrorsOf("sources:\n  kafka: []\n"), ElementsAre("test.yaml:2:10: " + message));
  EXPECT_THAT(ErrorsOf("sources:\n  directories: []\n  kafka: []\n"),
              ElementsAre("test.yaml:2:16: " + message));
  // Either list is enough.
  EXPECT_THAT(ErrorsOf("sources:\n  directories: []\n  kafka:\n    - topics: [a]\n"), IsEmpty());
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /a\n  kafka: []\n"), IsEmpty());
}

TEST(ConfigTest, DirectoryPathIsRequired) {
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - name: a\n      recursive: true\n"),
              ElementsAre("test.yaml:3:7: sources.directories[0].path: required key is missing"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: \"\"\n"),
              ElementsAre("test.yaml:3:13: sources.directories[0].path: must not be empty"));
}

TEST(ConfigTest, DirectoryNamesAndPathsAreUnique) {
  EXPECT_THAT(
      ErrorsOf("sources:\n  directories:\n    - path: /a/inbox\n    - path: /b/inbox\n"),
      ElementsAre("test.yaml:4:7: sources.directories[1].name: 'inbox' is already the name of "
                  "sources.directories[0] at test.yaml:3:7; names must be unique among "
                  "sources.directories and sources.kafka (the default is the last component of "
                  "`path`)"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /a/inbox\n"
                       "    - {path: /a/inbox/, name: second}\n"),
              ElementsAre("test.yaml:4:14: sources.directories[1].path: '/a/inbox' is already "
                          "watched by sources.directories[0]"));
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /\n"),
              ElementsAre("test.yaml:3:13: sources.directories[0].name: the default taken from "
                          "path '/' must not be empty; set it explicitly"));
}

TEST(ConfigTest, MaxFileBytesMustFitInFlight) {
  EXPECT_THAT(ErrorsOf("sources:\n  directories:\n    - path: /a\n      max_file_bytes: 512MiB\n"),
              ElementsAre("test.yaml:4:23: sources.directories[0].max_file_bytes: 512MiB is more "
                          "than limits.max_in_flight_bytes (256MiB), so a file that large could "
                          "never be taken"));
  // With only the limit written, the limit is what the user has to look at.
  EXPECT_THAT(ErrorsOf(WithDirectory("limits:\n  max_in_flight_bytes: 8MiB\n")),
              ElementsAre("test.yaml:2:24: sources.directories[0].max_file_bytes: 16MiB is more "
                          "than limits.max_in_flight_bytes (8MiB), so a file that large could "
                          "never be taken"));
}

TEST(ConfigTest, WorkDirectoriesDifferFromTheFeedAndEachOther) {
  EXPECT_THAT(ErrorsOf(R"(sources:
  directories:
    - path: /srv/a
      processing_dir: /srv/a/
      done_dir: /srv/a/out
      failed_dir: /srv/a/out
)"),
              ElementsAre("test.yaml:4:23: sources.directories[0].processing_dir: must differ "
                          "from the feed path '/srv/a'",
                          "test.yaml:6:19: sources.directories[0].failed_dir: must differ from "
                          "done_dir ('/srv/a/out')"));
}

TEST(ConfigTest, SourcesDoNotShareWorkDirectories) {
  EXPECT_THAT(ErrorsOf(R"(sources:
  directories:
    - path: /srv/a
      processing_dir: /srv/shared
    - path: /srv/b
      processing_dir: /srv/shared
    - path: /srv/a/done
)"),
              ElementsAre("test.yaml:6:23: sources.directories[1].processing_dir: '/srv/shared' "
                          "is already sources.directories[0].processing_dir; each feed directory "
                          "needs its own",
                          "test.yaml:7:13: sources.directories[2].path: '/srv/a/done' is already "
                          "sources.directories[0].done_dir"));
}

TEST(ConfigTest, TopicsFollowKafkaRulesAndDiffer) {
  const std::string rule =
      "is not a valid Kafka topic name; use 1 to 249 characters from [A-Za-z0-9._-], other than "
      "'.' and '..'";
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic: news articles\n")),
              ElementsAre("test.yaml:2:10: kafka.topic: 'news articles' " + rule));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  dead_letter_topic: ..\n")),
              ElementsAre("test.yaml:2:22: kafka.dead_letter_topic: '..' " + rule));
  const std::string longest(249, 'x');
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic: " + longest + "\n")), IsEmpty());
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic: " + longest + "y\n")),
              ElementsAre("test.yaml:2:10: kafka.topic: '" + longest + "y' " + rule));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  topic: same\n  dead_letter_topic: same\n")),
              ElementsAre("test.yaml:3:22: kafka.dead_letter_topic: must differ from kafka.topic "
                          "('same')"));
}

TEST(ConfigTest, BrokersMustNotBeEmpty) {
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  brokers: \"\"\n")),
              ElementsAre("test.yaml:2:12: kafka.brokers: must not be empty; use 'embedded' or a "
                          "list such as 'kafka-1:9092,kafka-2:9092'"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  brokers: a:9092,,b:9092\n")),
              ElementsAre("test.yaml:2:12: kafka.brokers: 'a:9092,,b:9092' has an empty entry "
                          "between commas"));
}

TEST(ConfigTest, PropertiesAreAMapOfScalars) {
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  properties: [linger.ms]\n")),
              ElementsAre("test.yaml:2:15: kafka.properties: expected a map of names to scalar "
                          "values, found a list"));
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  properties:\n    linger.ms: {a: 1}\n"
                                     "    acks:\n")),
              ElementsAre("test.yaml:3:16: kafka.properties.linger.ms: expected a scalar value, "
                          "found a map",
                          "test.yaml:4:5: kafka.properties.acks: expected a scalar value, found "
                          "null"));
  // Everything commented out leaves a null, which means no properties.
  EXPECT_THAT(
      ParseValid(WithDirectory("kafka:\n  properties:\n    # acks: all\n")).kafka.properties,
      IsEmpty());
}

TEST(ConfigTest, PropertiesCannotWeakenTheDeliveryGuarantee) {
  EXPECT_THAT(
      ErrorsOf(WithDirectory("kafka:\n  properties:\n    acks: 1\n    enable.idempotence: false\n"
                             "    request.required.acks: 0\n")),
      ElementsAre("test.yaml:3:11: kafka.properties.acks: must stay 'all', not '1': newswire "
                  "acknowledges a file or record only after every in-sync replica confirmed its "
                  "events",
                  "test.yaml:4:25: kafka.properties.enable.idempotence: must stay 'true', not "
                  "'false': retries after a broker fault must neither repeat nor reorder events "
                  "within a partition",
                  "test.yaml:5:28: kafka.properties.request.required.acks: must stay 'all', not "
                  "'0': newswire acknowledges a file or record only after every in-sync replica "
                  "confirmed its events"));
  // Spelling out the defaults is fine, in any of librdkafka's spellings.
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  properties:\n    acks: ALL\n"
                                     "    request.required.acks: -1\n"
                                     "    enable.idempotence: True\n")),
              IsEmpty());
  // A secret file cannot set them either (its value is read only after validation).
  EXPECT_THAT(ErrorsOf(WithDirectory("kafka:\n  secret_files:\n"
                                     "    enable.idempotence: /etc/newswire/idempotence\n")),
              ElementsAre("test.yaml:3:25: kafka.secret_files.enable.idempotence: "
                          "enable.idempotence is not a secret and newswire needs its default; "
                          "leave it out"));
}

// A config with one Kafka source on topic "a" whose entry goes on with `lines` (indented by six
// spaces, the first on line 4).
std::string WithKafkaEntry(std::string_view lines) {
  return "sources:\n  kafka:\n    - topics: [a]\n" + std::string(lines);
}

TEST(ConfigTest, KafkaOnlyConfigIsValidAndTakesEveryDefault) {
  const Config config = ParseValid(kMinimalKafka);
  EXPECT_THAT(config.directories, IsEmpty());
  ASSERT_EQ(config.kafka_sources.size(), 1u);
  const KafkaSourceConfig& source = config.kafka_sources[0];
  EXPECT_EQ(source.topics, std::vector<std::string>{"news.raw"});
  EXPECT_EQ(source.name, "news.raw");
  EXPECT_EQ(source.location, "test.yaml:5:7");
  // The option table's defaults must agree with the struct initializers in config.h, which the
  // Kafka source's tests rely on when they build one in code.
  KafkaSourceConfig defaults;
  defaults.name = "news.raw";
  defaults.topics = {"news.raw"};
  EXPECT_TRUE(Fields(source) == Fields(defaults));
  EXPECT_EQ(source.group_id, "newswire");
  EXPECT_EQ(source.brokers, "");
  EXPECT_EQ(source.format, "auto");
  EXPECT_EQ(source.auto_offset_reset, "earliest");
  EXPECT_EQ(source.max_record_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(source.commit_interval_ms, 5000);
  EXPECT_EQ(source.session_timeout_ms, 45000);
  EXPECT_EQ(source.revoke_timeout_ms, 10000);
  EXPECT_EQ(source.max_prefetch_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(source.json_fields.title, (std::vector<std::string>{"title", "headline"}));
  EXPECT_THAT(source.properties, IsEmpty());
}

TEST(ConfigTest, EveryKafkaSourceKeyIsReadIntoItsField) {
  const Config config = ParseValid(R"(sources:
  kafka:
    - name: wire
      topics: [wire.raw, "^wire\\.region\\..*"]
      group_id: newswire-wire
      brokers: "in-1:9092,in-2:9092"
      format: jsonl
      auto_offset_reset: latest
      max_record_bytes: 2MiB
      commit_interval_ms: 1000
      session_timeout_ms: 10000
      revoke_timeout_ms: 0
      max_prefetch_bytes: 8MiB
      json_fields:
        title: [headline]
        body: [text, summary]
        url: [link]
        author: []
        published: [date]
        language: [lang]
      properties:
        security.protocol: SSL
        fetch.wait.max.ms: 100
    - topics: [other]
)");
  ASSERT_EQ(config.kafka_sources.size(), 2u);
  const KafkaSourceConfig& source = config.kafka_sources[0];
  EXPECT_EQ(source.name, "wire");
  EXPECT_EQ(source.topics, (std::vector<std::string>{"wire.raw", "^wire\\.region\\..*"}));
  EXPECT_EQ(source.group_id, "newswire-wire");
  EXPECT_EQ(source.brokers, "in-1:9092,in-2:9092");
  EXPECT_EQ(source.format, "jsonl");
  EXPECT_EQ(source.auto_offset_reset, "latest");
  EXPECT_EQ(source.max_record_bytes, 2 * 1024 * 1024);
  EXPECT_EQ(source.commit_interval_ms, 1000);
  EXPECT_EQ(source.session_timeout_ms, 10000);
  EXPECT_EQ(source.revoke_timeout_ms, 0);
  EXPECT_EQ(source.max_prefetch_bytes, 8 * 1024 * 1024);
  EXPECT_EQ(source.json_fields.title, std::vector<std::string>{"headline"});
  EXPECT_EQ(source.json_fields.body, (std::vector<std::string>{"text", "summary"}));
  EXPECT_EQ(source.json_fields.url, std::vector<std::string>{"link"});
  EXPECT_THAT(source.json_fields.author, IsEmpty());
  EXPECT_EQ(source.json_fields.published, std::vector<std::string>{"date"});
  EXPECT_EQ(source.json_fields.language, std::vector<std::string>{"lang"});
  EXPECT_EQ(source.properties, (std::map<std::string, std::string>{
                                   {"fetch.wait.max.ms", "100"},
                                   {"security.protocol", "SSL"},
                               }));
  EXPECT_EQ(source.location, "test.yaml:3:7");
  // Each entry starts from the defaults, whatever the one before set.
  const KafkaSourceConfig& other = config.kafka_sources[1];
  EXPECT_EQ(other.location, "test.yaml:24:7");
  EXPECT_EQ(other.format, "auto");
  EXPECT_EQ(other.json_fields.title, (std::vector<std::string>{"title", "headline"}));
  EXPECT_THAT(other.properties, IsEmpty());
}

TEST(ConfigTest, KafkaSourceNameDefaultsToTheFirstTopicWithoutTheRegexCaret) {
  const Config config = ParseValid(R"(sources:
  kafka:
    - topics: [b, a]
    - topics: ["^news-.*"]
      group_id: regex
)");
  ASSERT_EQ(config.kafka_sources.size(), 2u);
  EXPECT_EQ(config.kafka_sources[0].name, "b");
  EXPECT_EQ(config.kafka_sources[1].name, "news-.*");
}

TEST(ConfigTest, KafkaSourceTopicsAreRequiredNamesOrRegexes) {
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - name: a\n"),
              ElementsAre("test.yaml:3:7: sources.kafka[0].topics: required key is missing"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: []\n"),
              ElementsAre("test.yaml:3:15: sources.kafka[0].topics: must have at least 1 entry"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [a, \"\"]\n"),
              ElementsAre("test.yaml:3:19: sources.kafka[0].topics[1]: must not be empty"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [\"^\"]\n"),
              ElementsAre("test.yaml:3:16: sources.kafka[0].topics[0]: '^' alone is an empty "
                          "regular expression; write the pattern after the '^', or a topic name "
                          "without it"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [news raw]\n"),
              ElementsAre("test.yaml:3:16: sources.kafka[0].topics[0]: 'news raw' is not a valid "
                          "Kafka topic name; use 1 to 249 characters from [A-Za-z0-9._-], other "
                          "than '.' and '..'"));
  // After a '^' anything goes: librdkafka compiles the regex when it subscribes.
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [\"^news raw[\"]\n"), IsEmpty());
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: news.raw\n"),
              ElementsAre("test.yaml:3:15: sources.kafka[0].topics: expected a list of strings, "
                          "found 'news.raw'"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [[a]]\n"),
              ElementsAre("test.yaml:3:16: sources.kafka[0].topics[0]: expected a string, found "
                          "a list"));
}

TEST(ConfigTest, KafkaSourceListAndEntriesHaveTheirShape) {
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    topics: [a]\n"),
              ElementsAre("test.yaml:3:5: sources.kafka: expected a list of Kafka source "
                          "entries, found a map"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - news.raw\n"),
              ElementsAre("test.yaml:3:7: sources.kafka[0]: expected a map with at least topics, "
                          "found 'news.raw'"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      topic: [b]\n")),
              ElementsAre("test.yaml:4:7: sources.kafka[0].topic: unknown key (did you mean "
                          "'topics'?)"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      json_fields: {titel: [a]}\n")),
              ElementsAre("test.yaml:4:21: sources.kafka[0].json_fields.titel: unknown key (did "
                          "you mean 'title'?)"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      json_fields: {title: [\"\"]}\n")),
              ElementsAre("test.yaml:4:29: sources.kafka[0].json_fields.title[0]: must not be "
                          "empty"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      json_fields: [title]\n")),
              ElementsAre("test.yaml:4:20: sources.kafka[0].json_fields: expected a map, found a "
                          "list"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      properties: [linger.ms]\n")),
              ElementsAre("test.yaml:4:19: sources.kafka[0].properties: expected a map of names "
                          "to scalar values, found a list"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      properties:\n        acks:\n")),
              ElementsAre("test.yaml:5:9: sources.kafka[0].properties.acks: expected a scalar "
                          "value, found null"));
}

TEST(ConfigTest, KafkaSourceValuesAreChecked) {
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      name: \"\"\n")),
              ElementsAre("test.yaml:4:13: sources.kafka[0].name: must not be empty"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      group_id: \"\"\n")),
              ElementsAre("test.yaml:4:17: sources.kafka[0].group_id: must not be empty"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      brokers: a:9092,,b:9092\n")),
              ElementsAre("test.yaml:4:16: sources.kafka[0].brokers: 'a:9092,,b:9092' has an "
                          "empty entry between commas"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      format: xml\n")),
              ElementsAre("test.yaml:4:15: sources.kafka[0].format: 'xml' is not allowed; "
                          "expected one of auto, text, html, feed, json, jsonl"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      auto_offset_reset: none\n")),
              ElementsAre("test.yaml:4:26: sources.kafka[0].auto_offset_reset: 'none' is not "
                          "allowed; expected one of earliest, latest"));
}

TEST(ConfigTest, KafkaSourceNumbersStayInBounds) {
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_record_bytes: 1000\n")),
              ElementsAre("test.yaml:4:25: sources.kafka[0].max_record_bytes: 1000 is out of "
                          "bounds; must be between 1KiB and 1GiB"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_record_bytes: 2GiB\n")),
              ElementsAre("test.yaml:4:25: sources.kafka[0].max_record_bytes: 2GiB is out of "
                          "bounds; must be between 1KiB and 1GiB"));
  // Sizes are read like every other size.
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_record_bytes: 16 megs\n")),
              ElementsAre("test.yaml:4:25: sources.kafka[0].max_record_bytes: '16 megs' has an "
                          "unknown unit 'megs'; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      commit_interval_ms: 99\n")),
              ElementsAre("test.yaml:4:27: sources.kafka[0].commit_interval_ms: 99 is out of "
                          "bounds; must be between 100 and 3600000"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      session_timeout_ms: 999\n")),
              ElementsAre("test.yaml:4:27: sources.kafka[0].session_timeout_ms: 999 is out of "
                          "bounds; must be between 1000 and 3600000"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      revoke_timeout_ms: 600001\n")),
              ElementsAre("test.yaml:4:26: sources.kafka[0].revoke_timeout_ms: 600001 is out of "
                          "bounds; must be between 0 and 600000"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      revoke_timeout_ms: soon\n")),
              ElementsAre("test.yaml:4:26: sources.kafka[0].revoke_timeout_ms: expected an "
                          "integer number of milliseconds, found 'soon'"));
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_prefetch_bytes: 512KiB\n")),
              ElementsAre("test.yaml:4:27: sources.kafka[0].max_prefetch_bytes: 512KiB is out of "
                          "bounds; must be between 1MiB and 2097151KiB"));
  // librdkafka takes the prefetch budget in KiB, and no more than 2097151 of them.
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_prefetch_bytes: 2GiB\n")),
              ElementsAre("test.yaml:4:27: sources.kafka[0].max_prefetch_bytes: 2GiB is out of "
                          "bounds; must be between 1MiB and 2097151KiB"));
  const Config config = ParseValid(
      WithKafkaEntry("      max_record_bytes: 1KiB\n      commit_interval_ms: 100\n"
                     "      session_timeout_ms: 3600000\n      revoke_timeout_ms: 600000\n"
                     "      max_prefetch_bytes: 2097151KiB\n"));
  ASSERT_EQ(config.kafka_sources.size(), 1u);
  EXPECT_EQ(config.kafka_sources[0].max_record_bytes, 1024);
  EXPECT_EQ(config.kafka_sources[0].max_prefetch_bytes, std::int64_t{2097151} * 1024);
}

TEST(ConfigTest, MaxRecordBytesMustFitInFlight) {
  EXPECT_THAT(ErrorsOf(WithKafkaEntry("      max_record_bytes: 512MiB\n")),
              ElementsAre("test.yaml:4:25: sources.kafka[0].max_record_bytes: 512MiB is more "
                          "than limits.max_in_flight_bytes (256MiB), so a record that large "
                          "could never be taken"));
  // With only the limit written, the limit is what the user has to look at.
  EXPECT_THAT(ErrorsOf(std::string(kMinimalKafka) + "limits:\n  max_in_flight_bytes: 8MiB\n"),
              ElementsAre("test.yaml:7:24: sources.kafka[0].max_record_bytes: 16MiB is more "
                          "than limits.max_in_flight_bytes (8MiB), so a record that large could "
                          "never be taken"));
}

TEST(ConfigTest, KafkaSourceDoesNotConsumeWhatNewswireProduces) {
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [raw, news.articles.tagged]\n"),
              ElementsAre("test.yaml:3:21: sources.kafka[0].topics[1]: 'news.articles.tagged' is "
                          "kafka.topic on the same cluster; newswire would consume what it "
                          "produces"));
  EXPECT_THAT(ErrorsOf(R"(kafka:
  brokers: k:9092
sources:
  kafka:
    - topics: [news.articles.dead-letter]
      brokers: k:9092
)"),
              ElementsAre("test.yaml:5:16: sources.kafka[0].topics[0]: "
                          "'news.articles.dead-letter' is kafka.dead_letter_topic on the same "
                          "cluster; newswire would consume what it produces"));
  // Another cluster's topics may have any name.
  EXPECT_THAT(ErrorsOf(R"(kafka:
  brokers: k:9092
sources:
  kafka:
    - topics: [news.articles.tagged]
      brokers: upstream:9092
)"),
              IsEmpty());
}

TEST(ConfigTest, ExactlyOnceNeedsATransactionalIdAndOnlyKafkaSourcesOnItsCluster) {
  const std::string valid = R"(kafka:
  brokers: k:9092
  exactly_once: true
  transactional_id: newswire-a
  transaction_interval_ms: 250
sources:
  kafka:
    - topics: [raw]
    - topics: [other]
      brokers: k:9092
)";
  EXPECT_THAT(ErrorsOf(valid), IsEmpty());
  const Config config = ParseValid(valid);
  EXPECT_TRUE(config.kafka.exactly_once);
  EXPECT_EQ(config.kafka.transactional_id, "newswire-a");
  EXPECT_EQ(config.kafka.transaction_interval_ms, 250);

  EXPECT_THAT(ErrorsOf(R"(kafka:
  brokers: k:9092
  exactly_once: true
sources:
  directories:
    - path: /srv/feeds/wire
  kafka:
    - topics: [raw]
      brokers: upstream:9092
)"),
              ElementsAre("test.yaml:3:17: kafka.exactly_once: needs kafka.transactional_id, "
                          "unique per instance and the same across its restarts (e.g. "
                          "newswire-<host>)",
                          "test.yaml:6:5: sources.directories: feed directories cannot take "
                          "part in a Kafka transaction; with kafka.exactly_once every source must "
                          "be in sources.kafka",
                          "test.yaml:9:16: sources.kafka[0].brokers: with kafka.exactly_once a "
                          "source must read from the cluster in kafka.brokers ('k:9092'), whose "
                          "transactions commit its offsets"));
  // Without exactly_once, none of that is asked for.
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [raw]\n      brokers: upstream:9092\n"),
              IsEmpty());
}

TEST(ConfigTest, SourceNamesAreUniqueAcrossDirectoriesAndKafka) {
  const std::string rule =
      "names must be unique among sources.directories and sources.kafka (the default is the ";
  EXPECT_THAT(ErrorsOf(R"(sources:
  directories:
    - path: /srv/feeds/wire
  kafka:
    - topics: [wire]
)"),
              ElementsAre("test.yaml:5:7: sources.kafka[0].name: 'wire' is already the name of "
                          "sources.directories[0] at test.yaml:3:7; " +
                          rule + "first topic without a leading `^`)"));
  // The entry further down the file is reported, whichever list it is in.
  EXPECT_THAT(ErrorsOf(R"(sources:
  kafka:
    - topics: [a]
      name: reuters
  directories:
    - path: /srv/feeds/reuters
)"),
              ElementsAre("test.yaml:6:7: sources.directories[0].name: 'reuters' is already the "
                          "name of sources.kafka[0] at test.yaml:4:13; " +
                          rule + "last component of `path`)"));
  EXPECT_THAT(ErrorsOf("sources:\n  kafka:\n    - topics: [a]\n    - topics: [\"^a\"]\n"),
              ElementsAre("test.yaml:4:7: sources.kafka[1].name: 'a' is already the name of "
                          "sources.kafka[0] at test.yaml:3:7; " +
                          rule + "first topic without a leading `^`)"));
}

TEST(ConfigTest, RenderedConfigParsesBackToTheSameConfig) {
  const std::string text = R"(kafka:
  brokers: "k1:9092,k2:9092"
  broker_file: /run/newswire/broker
  topic: "123"
  dead_letter_topic: "null"
  compression: gzip
  properties:
    ssl.ca.location: /etc/ca pem/ca.pem
    enable.idempotence: true
    client.id: ""
sources:
  directories:
    - path: /data/in
      name: "yes"
      include: ["*.xml", "#*", "a: b"]
      exclude: ["*~"]
      on_success: delete
      max_file_bytes: 1000
      follow_symlinks: true
      json_fields:
        title: ["#headline"]
        author: []
    - path: /data/other
  kafka:
    - topics: ["^news\\..*", "raw"]
      name: "no"
      group_id: "123"
      brokers: "k3:9092"
      format: json
      auto_offset_reset: latest
      max_record_bytes: 1025
      max_prefetch_bytes: 3MiB
      json_fields:
        body: ["text: plain"]
      properties:
        client.id: ""
        fetch.wait.max.ms: 100
    - topics: [wire]
limits:
  max_in_flight_bytes: 3GiB
log:
  format: json
  events: true
daemon:
  source_uri: "newswire://ingest 1"
)";
  const Config original = ParseValid(text);
  const std::string rendered = RenderConfig(original);
  const Config reparsed = ParseValid(rendered);
  ExpectSameSettings(original, reparsed);
  EXPECT_EQ(RenderConfig(reparsed), rendered);

  const Config minimal = ParseValid(kMinimal);
  ExpectSameSettings(minimal, ParseValid(RenderConfig(minimal)));
  const Config minimal_kafka = ParseValid(kMinimalKafka);
  ExpectSameSettings(minimal_kafka, ParseValid(RenderConfig(minimal_kafka)));
}

TEST(ConfigTest, RenderedConfigShowsEveryKey) {
  const std::string rendered = RenderConfig(ParseValid(std::string(kMinimal) + R"(  kafka:
    - topics: [news.raw]
      properties: {client.id: newswire-1}
)"));
  EXPECT_THAT(rendered, HasSubstr("# effective configuration of test.yaml\n"));
  EXPECT_THAT(rendered, HasSubstr("  directories:\n    - path: /srv/feeds/reuters\n"));
  EXPECT_THAT(rendered, HasSubstr("  max_file_bytes: 16MiB\n"));
  EXPECT_THAT(rendered, HasSubstr("  include: [\"*\"]\n"));
  EXPECT_THAT(rendered, HasSubstr(R"(  kafka:
    - topics: [news.raw]
      name: news.raw
      group_id: newswire
      brokers: ""
      format: auto
      auto_offset_reset: earliest
      max_record_bytes: 16MiB
      commit_interval_ms: 5000
      session_timeout_ms: 45000
      revoke_timeout_ms: 10000
      max_prefetch_bytes: 64MiB
      json_fields:
        title: [title, headline]
)"));
  EXPECT_THAT(rendered, HasSubstr("      properties:\n        client.id: newswire-1\n"));
  // An empty list of sources is shown too.
  EXPECT_THAT(RenderConfig(ParseValid(kMinimal)), HasSubstr("  kafka: []\n"));
  EXPECT_THAT(RenderConfig(ParseValid(kMinimalKafka)), HasSubstr("  directories: []\n"));
  for (const Option& option : Options()) {
    const std::string_view leaf = option.key.substr(option.key.rfind('.') + 1);
    EXPECT_THAT(rendered, HasSubstr(std::string(leaf) + ": ")) << option.key;
  }
}

// Without kafka.brokers newswire would have run the in-memory development broker and lost every
// event at exit; the key has no default, and the error says how to ask for that broker.
TEST(ConfigTest, BrokersHaveNoDefault) {
  EXPECT_THAT(ErrorsOfExactly(kMinimalSources),
              ElementsAre(HasSubstr("test.yaml:1:1: kafka.brokers: required key is missing: "
                                    "Bootstrap servers of the Kafka cluster")));
  EXPECT_THAT(ErrorsOfExactly("kafka:\n  topic: news.out\n" + std::string(kMinimalSources)),
              ElementsAre(AllOf(HasSubstr("test.yaml:2:3: kafka.brokers: required key is missing"),
                                HasSubstr("write `embedded` for a demo or a test"))));
  EXPECT_EQ(ParseValid(kMinimal).kafka.brokers, "embedded");
  EXPECT_THAT(ConfigReference(), HasSubstr("| `kafka.brokers` | string | required | "));
}

TEST(ConfigTest, ShippedProductionConfigLoads) {
  const ConfigResult result = LoadConfig(NEWSWIRE_SOURCE_DIR "/config/newswire.yaml");
  ASSERT_TRUE(result.has_value()) << result.error()[0].Describe();
  EXPECT_EQ(result->kafka.brokers, "kafka-1.example.net:9092,kafka-2.example.net:9092");
  EXPECT_EQ(result->kafka.broker_file, "");
  EXPECT_EQ(result->log.format, "json");
  ASSERT_EQ(result->directories.size(), 1u);
  EXPECT_EQ(result->directories[0].path, "/var/lib/newswire/inbox");
  EXPECT_THAT(result->kafka_sources, IsEmpty());
}

// The production config carries a commented-out Kafka source; uncommented, it must be valid.
TEST(ConfigTest, ShippedProductionConfigKafkaExampleIsValid) {
  std::istringstream lines(ReadText(NEWSWIRE_SOURCE_DIR "/config/newswire.yaml"));
  std::string uncommented;
  bool in_example = false;
  std::size_t example_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line == "  # kafka:") in_example = true;
    // The example ends at the first line that is not part of its commented-out block.
    if (in_example && line != "  # kafka:" && !line.starts_with("  #   ")) in_example = false;
    if (in_example) {
      line.erase(2, 2);
      ++example_lines;
    }
    uncommented += line + "\n";
  }
  ASSERT_GT(example_lines, 2u) << "no commented-out `kafka:` example under `sources:`";
  const ConfigResult result = ParseConfig(uncommented, "newswire.yaml");
  ASSERT_TRUE(result.has_value()) << result.error()[0].Describe() << "\n" << uncommented;
  ASSERT_EQ(result->kafka_sources.size(), 1u);
  EXPECT_EQ(result->directories.size(), 1u);
}

TEST(ConfigTest, ShippedDemoConfigLoads) {
  const ConfigResult result = LoadConfig(NEWSWIRE_SOURCE_DIR "/config/demo.yaml");
  ASSERT_TRUE(result.has_value()) << result.error()[0].Describe();
  const std::filesystem::path working_directory = std::filesystem::current_path();
  EXPECT_EQ(result->kafka.brokers, "embedded");
  EXPECT_EQ(result->kafka.broker_file, (working_directory / "var/broker").string());
  ASSERT_EQ(result->directories.size(), 1u);
  EXPECT_EQ(result->directories[0].path, (working_directory / "var/inbox").string());
  EXPECT_EQ(result->directories[0].name, "inbox");
  EXPECT_TRUE(result->log.events);
  EXPECT_EQ(result->log.stats_interval_ms, 5000);
}

TEST(ConfigTest, ReferenceHasOneRowPerOption) {
  const std::string reference = ConfigReference();
  EXPECT_THAT(reference,
              HasSubstr("| Key | Type | Default | Bounds | On SIGHUP | Description |\n"));
  EXPECT_THAT(reference,
              HasSubstr("| `kafka.message_timeout_ms` | duration (ms) | `300000` | 1000 to "
                        "2147483647 | "));
  EXPECT_THAT(reference, HasSubstr("| `sources.directories[].path` | path | required | "));
  EXPECT_THAT(reference, HasSubstr("| `sources.kafka[].topics` | list (topics) | required | at "
                                   "least 1 entry; "));
  EXPECT_THAT(reference, HasSubstr("| `sources.kafka[].max_record_bytes` | size (bytes) | `16MiB` "
                                   "| 1KiB to 1GiB; at most `limits.max_in_flight_bytes` | "));
  EXPECT_THAT(reference, HasSubstr("| `log.level` | enum | `info` | `trace`, `debug`, `info`, "
                                   "`warn`, `error` | "));
  for (const Option& option : Options()) {
    EXPECT_THAT(reference, HasSubstr("| `" + std::string(option.key) + "` |"));
    EXPECT_FALSE(option.description.empty()) << option.key;
  }
  const auto rows = std::count(reference.begin(), reference.end(), '\n');
  EXPECT_EQ(rows, static_cast<long>(Options().size()) + 2);
}

TEST(ConfigTest, DocumentationContainsTheGeneratedReference) {
  const std::string document = ReadText(NEWSWIRE_SOURCE_DIR "/docs/configuration.md");
  const std::string begin = "<!-- BEGIN REFERENCE -->\n";
  const std::string end = "<!-- END REFERENCE -->";
  const std::size_t begin_at = document.find(begin);
  const std::size_t end_at = document.find(end);
  ASSERT_NE(begin_at, std::string::npos);
  ASSERT_NE(end_at, std::string::npos);
  ASSERT_LT(begin_at, end_at);
  const std::string between =
      document.substr(begin_at + begin.size(), end_at - begin_at - begin.size());
  EXPECT_EQ(between, ConfigReference())
      << "regenerate the table in docs/configuration.md with `newswire config-reference`";
}

TEST(RestartOnlyChangesTest, LiveKeysAndFeedDirectoriesAreNotReported) {
  const Config running = ParseValid(kMinimal);
  const Config loaded = ParseValid(R"(sources:
  directories:
    - path: /srv/feeds/afp
    - path: /srv/feeds/reuters
      recursive: true
log:
  level: debug
  events: true
  stats_interval_ms: 5000
classify:
  routes_file: /etc/newswire/routes.yaml
)");
  EXPECT_THAT(RestartOnlyChanges(running, loaded), IsEmpty());
}

TEST(RestartOnlyChangesTest, ReportsEveryRestartOnlyKeyInTableOrder) {
  const Config running = ParseValid(R"(sources:
  directories:
    - path: /srv/feeds/reuters
  kafka:
    - topics: [news.raw]
)");
  const Config loaded = ParseValid(R"(kafka:
  brokers: kafka-1:9092
  properties: {linger.ms: "20"}
sources:
  directories:
    - path: /srv/feeds/reuters
  kafka:
    - topics: [news.raw, news.more]
log:
  format: json
daemon:
  state_dir: /srv/newswire/state
)");
  EXPECT_THAT(RestartOnlyChanges(running, loaded),
              ElementsAre("kafka.brokers", "kafka.properties", "sources.kafka[0].topics",
                          "log.format", "daemon.state_dir"));
}

TEST(RestartOnlyChangesTest, AddedOrRemovedKafkaSourcesNameTheList) {
  const Config running = ParseValid(kMinimal);
  const Config loaded = ParseValid(R"(sources:
  directories:
    - path: /srv/feeds/reuters
  kafka:
    - topics: [news.raw]
)");
  EXPECT_THAT(RestartOnlyChanges(running, loaded), ElementsAre("sources.kafka"));
  EXPECT_THAT(RestartOnlyChanges(loaded, running), ElementsAre("sources.kafka"));
}

TEST(RestartOnlyChangesTest, TheReferenceSaysWhatSighupApplies) {
  const std::string reference = ConfigReference();
  EXPECT_THAT(reference, HasSubstr("| `log.level` | enum | `info` | `trace`, `debug`, `info`, "
                                   "`warn`, `error` | applied |"));
  EXPECT_THAT(reference, HasSubstr("| `kafka.brokers` | string | required |"));
  for (const Option& option : Options()) {
    if (option.key.starts_with("sources.directories[]")) {
      EXPECT_EQ(ReloadOf(option), Reload::kLive) << option.key;
    } else if (option.key.starts_with("sources.kafka[]") || option.key.starts_with("kafka.")) {
      EXPECT_EQ(ReloadOf(option), Reload::kRestart) << option.key;
    }
  }
}

}  // namespace
}  // namespace newswire::config
