#include "daemon/app/startup_check.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string_view>

#include "daemon/app/classifier_loader.h"
#include "daemon/kafka/kafka_handles.h"
#include "daemon/sources/kafka/kafka_source.h"

namespace newswire::app {
namespace {

namespace fs = std::filesystem;

// Collects problems: those at a key of the config as "file:line:col: key: message", sorted by
// where the key is written (as the loader sorts its errors), then those inside the classifier's
// data files, which locate themselves, in the order found.
class Problems {
 public:
  explicit Problems(const config::Config& config) : config_(config) {}

  void Add(std::string_view key, std::string_view message) {
    at_keys_.push_back(
        {config::PositionOf(config_, key),
         fmt::format("{}: {}: {}", config::Locate(config_, key), key, TrimEnd(message))});
  }
  // A multi-line message from the classifier's loader: a line each, without the "N problems in
  // ...:" headings (not problems themselves).
  void AddLines(const std::string& text) {
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
      const bool heading = !line.empty() && line.front() >= '0' && line.front() <= '9' &&
                           line.ends_with(':') && line.find(" problem") != std::string::npos;
      if (!heading && !line.empty()) in_files_.push_back(std::move(line));
    }
  }
  bool empty() const { return at_keys_.empty() && in_files_.empty(); }
  std::vector<std::string> Take() {
    std::stable_sort(at_keys_.begin(), at_keys_.end(),
                     [](const auto& left, const auto& right) { return left.first < right.first; });
    std::vector<std::string> lines;
    for (auto& [position, line] : at_keys_) lines.push_back(std::move(line));
    for (auto& line : in_files_) lines.push_back(std::move(line));
    return lines;
  }

 private:
  // librdkafka ends some messages with a newline.
  static std::string_view TrimEnd(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    return text;
  }

  const config::Config& config_;
  std::vector<std::pair<config::KeyPosition, std::string>> at_keys_;
  std::vector<std::string> in_files_;
};

std::string ThisUser() { return fmt::format("this user (uid {})", geteuid()); }

// The nearest of `path` and its ancestors that exists, with its status; or why none can be
// found (a search permission missing on the way).
struct Existing {
  fs::path path;
  struct stat status {};
};
tl::expected<Existing, std::string> NearestExisting(const fs::path& path) {
  Existing existing{path, {}};
  while (stat(existing.path.c_str(), &existing.status) != 0) {
    const int error = errno;
    // ENOTDIR: a file stands where a directory on the way should be; its parent says which.
    if ((error != ENOENT && error != ENOTDIR) || !existing.path.has_relative_path()) {
      return tl::unexpected(
          fmt::format("cannot use {}: {}", existing.path.string(), std::strerror(error)));
    }
    existing.path = existing.path.parent_path();
  }
  return existing;
}

// Why newswire could not use `path` as a directory it lists and creates files in, or make it and
// then do so; "" when it can: `path` is a directory this user (its effective ids) may read,
// write and search, or it does not exist yet and its nearest existing ancestor is one (newswire
// creates what is missing).
std::string DirectoryProblem(const fs::path& path) {
  const auto existing = NearestExisting(path);
  if (!existing) return existing.error();
  const fs::path& found = existing->path;
  if (!S_ISDIR(existing->status.st_mode)) {
    return found == path ? fmt::format("{} is not a directory", path.string())
                         : fmt::format("cannot create {}: {} is not a directory", path.string(),
                                       found.string());
  }
  if (faccessat(AT_FDCWD, found.c_str(), R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
    const std::string reason = std::strerror(errno);
    return found == path ? fmt::format("{} is not readable and writable by {}: {}", path.string(),
                                       ThisUser(), reason)
                         : fmt::format("cannot create {}: {} is not writable by {}: {}",
                                       path.string(), found.string(), ThisUser(), reason);
  }
  return "";
}

// A file newswire replaces atomically (a temporary file renamed over it) in its directory.
void CheckFileTarget(Problems& problems, std::string_view key, const std::string& path) {
  if (path.empty()) return;
  const fs::path target(path);
  struct stat status {};
  if (stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
    problems.Add(key, fmt::format("{} is a directory; name a file", path));
    return;
  }
  if (const std::string problem = DirectoryProblem(target.parent_path()); !problem.empty()) {
    problems.Add(key, fmt::format("cannot write {}: {}", path, problem));
  }
}

void CheckDirectory(Problems& problems, std::string_view key, const std::string& path) {
  if (const std::string problem = DirectoryProblem(path); !problem.empty()) {
    problems.Add(key, problem);
  }
}

void CheckStateDirectory(Problems& problems, const config::Config& config) {
  const fs::path articles = fs::path(config.daemon.state_dir) / "articles";
  if (const std::string problem = DirectoryProblem(articles); !problem.empty()) {
    problems.Add("daemon.state_dir", problem);
    return;
  }
  // The article memory's files, when they are there already, are opened for writing.
  for (const char* name : {"data.mdb", "lock.mdb", "newswire.lock"}) {
    const fs::path file = articles / name;
    if (faccessat(AT_FDCWD, file.c_str(), F_OK, AT_EACCESS) == 0 &&
        faccessat(AT_FDCWD, file.c_str(), R_OK | W_OK, AT_EACCESS) != 0) {
      problems.Add("daemon.state_dir", fmt::format("{} is not writable by {}: {}", file.string(),
                                                   ThisUser(), std::strerror(errno)));
    }
  }
}

void CheckFeedDirectories(Problems& problems, const config::Config& config) {
  for (std::size_t index = 0; index < config.directories.size(); ++index) {
    const config::DirectorySourceConfig& directory = config.directories[index];
    const std::string entry = fmt::format("sources.directories[{}]", index);
    CheckDirectory(problems, entry + ".path", directory.path);
    for (const auto& [leaf, path] : {std::pair{"processing_dir", &directory.processing_dir},
                                     {"done_dir", &directory.done_dir},
                                     {"failed_dir", &directory.failed_dir}}) {
      CheckDirectory(problems, fmt::format("{}.{}", entry, leaf), *path);
      // Claiming and completing are renames: they only work within one filesystem. What does
      // not exist yet is made inside its nearest existing ancestor, on that one's filesystem.
      const auto feed = NearestExisting(directory.path);
      const auto work = NearestExisting(*path);
      if (feed && work && feed->status.st_dev != work->status.st_dev) {
        problems.Add(fmt::format("{}.{}", entry, leaf),
                     fmt::format("{} is on another filesystem than the feed directory {}; files "
                                 "are claimed and completed by atomic rename",
                                 *path, directory.path));
      }
    }
  }
}

// The key a librdkafka property was written under: a secret file, the properties map, or (for
// newswire's own settings) the section.
std::string PropertyKey(const std::string& prefix,
                        const std::map<std::string, std::string>& secret_files,
                        const std::map<std::string, std::string>& properties,
                        const std::string& property) {
  if (secret_files.contains(property)) return fmt::format("{}.secret_files.{}", prefix, property);
  if (properties.contains(property)) return fmt::format("{}.properties.{}", prefix, property);
  return prefix;
}

void CheckClient(Problems& problems, rd_kafka_type_t type, const std::string& prefix,
                 const std::map<std::string, std::string>& secret_files,
                 const std::map<std::string, std::string>& properties,
                 const std::map<std::string, std::string>& effective) {
  const std::string_view client = type == RD_KAFKA_PRODUCER ? "producer" : "consumer";
  // librdkafka's reasons may quote a value ("Invalid value \"...\""): never a secret's.
  const auto redacted = [&](std::string reason) {
    for (const auto& [name, value] : effective) {
      if (value.empty() || (!secret_files.contains(name) && !config::IsSecretProperty(name))) {
        continue;
      }
      for (std::size_t at = reason.find(value); at != std::string::npos;
           at = reason.find(value, at)) {
        reason.replace(at, value.size(), "<redacted>");
      }
    }
    return reason;
  };
  for (const kafka::ConfProblem& problem : kafka::CheckClientConf(type, effective)) {
    if (problem.property.empty()) {
      problems.Add(prefix + ".properties",
                   fmt::format("librdkafka cannot make the {} from these settings: {}", client,
                               redacted(problem.reason)));
    } else {
      problems.Add(PropertyKey(prefix, secret_files, properties, problem.property),
                   fmt::format("librdkafka refuses {} for the {}: {}", problem.property, client,
                               redacted(problem.reason)));
    }
  }
}

void CheckKafkaClients(Problems& problems, const config::Config& config) {
  // The bootstrap list plays no part in the check (no client made here gets one).
  CheckClient(problems, RD_KAFKA_PRODUCER, "kafka", config.kafka.secret_files,
              config.kafka.properties,
              sinks::ProducerProperties(KafkaSinkOptionsFrom(config, config.kafka.brokers)));
  for (std::size_t index = 0; index < config.kafka_sources.size(); ++index) {
    const config::KafkaSourceConfig& source = config.kafka_sources[index];
    CheckClient(problems, RD_KAFKA_CONSUMER, fmt::format("sources.kafka[{}]", index),
                source.secret_files, source.properties,
                sources::ConsumerProperties(source, source.brokers, config.kafka.exactly_once));
  }
}

}  // namespace

sinks::KafkaSinkOptions KafkaSinkOptionsFrom(const config::Config& config,
                                             std::string bootstrap_servers) {
  sinks::KafkaSinkOptions options;
  options.bootstrap_servers = std::move(bootstrap_servers);
  options.topic = config.kafka.topic;
  options.dead_letter_topic = config.kafka.dead_letter_topic;
  options.compression = config.kafka.compression;
  options.message_timeout_ms = config.kafka.message_timeout_ms;
  options.properties = config.kafka.properties;
  if (config.kafka.exactly_once) options.transactional_id = config.kafka.transactional_id;
  return options;
}

tl::expected<PreparedStart, std::vector<std::string>> PrepareStart(const config::Config& config) {
  Problems problems(config);
  PreparedStart prepared;
  // In the order of the sections in the shipped config: kafka, sources, classify, daemon, http.
  CheckFileTarget(problems, "kafka.broker_file", config.kafka.broker_file);
  CheckKafkaClients(problems, config);
  CheckFeedDirectories(problems, config);
  // The files the classifier is built from, located at their keys when they are missing.
  bool classifier_files = true;
  if (std::error_code error; !fs::is_directory(config.classify.data_dir, error)) {
    problems.Add("classify.data_dir",
                 fmt::format("{} is not a directory holding taxonomy/, rules/ and gazetteers/",
                             config.classify.data_dir));
    classifier_files = false;
  }
  for (const auto& [key, path] : {std::pair{"classify.routes_file", &config.classify.routes_file},
                                  {"classify.model_file", &config.classify.model_file}}) {
    if (path->empty() || faccessat(AT_FDCWD, path->c_str(), R_OK, AT_EACCESS) == 0) continue;
    problems.Add(key, fmt::format("cannot read {}: {}", *path, std::strerror(errno)));
    classifier_files = false;
  }
  if (classifier_files) {
    auto classifier = LoadClassifier(config.classify);
    if (classifier) {
      prepared.classifier = std::move(*classifier);
    } else {
      problems.AddLines(classifier.error().message);
    }
  }
  CheckStateDirectory(problems, config);
  if (config.http.enabled) CheckFileTarget(problems, "http.address_file", config.http.address_file);
  if (!problems.empty()) return tl::unexpected(problems.Take());
  return prepared;
}

}  // namespace newswire::app
