#include "daemon/app/cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <unicode/uversion.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/app/app.h"
#include "daemon/app/classifier_loader.h"
#include "daemon/app/evaluate_command.h"
#include "daemon/app/logging.h"
#include "daemon/app/progress_reporter.h"
#include "daemon/app/tail_command.h"
#include "daemon/app/train_command.h"
#include "daemon/config/config.h"
#include "daemon/pipeline/encode/event_encoder.h"
#include "daemon/pipeline/encode/forward_encoder.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/sources/directory/file_lifecycle.h"

#ifndef NEWSWIRE_VERSION
#define NEWSWIRE_VERSION "0.1.0"
#endif

namespace newswire::app {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDefaultConfigPath = "/etc/newswire/newswire.yaml";
constexpr std::int64_t kMaxTailEvents = 1'000'000'000'000;
constexpr std::int64_t kMaxTailTimeoutMs = std::int64_t{7} * 24 * 3600 * 1000;

constexpr std::string_view kUsage = R"(newswire - streaming news ingestion daemon

Scrapers and feed fetchers drop articles into feed directories; newswire claims each file,
normalizes and classifies every article in it, and publishes one tagged event per article to
Kafka. A file leaves its feed directory only after Kafka confirmed every event made from it.

Usage:
  newswire run [-c FILE] [--log-format text|json] [--log-level LEVEL]
      Run the daemon until SIGTERM or SIGINT, then stop intake, drain, flush and exit 0. First
      it checks what check-config checks (exit 78 with every problem). While Kafka cannot be
      reached at start it waits and keeps trying, without end: the log, systemd's STATUS and
      /health say why. SIGHUP re-reads the config: the taxonomy, rules, gazetteers, routes, the
      topic model, log.level, log.events, log.stats_interval_ms and the feed directories change
      live, without dropping work in flight; keys that need a restart are listed in the log and
      left alone; a reload refuses what check-config refuses and keeps the running set. With
      `kafka.brokers: embedded` it starts a development Kafka broker in-process (in memory, lost
      at exit) and writes its address to `kafka.broker_file`.
  newswire check-config [-c FILE] [--quiet]
      Validate the config and build what run builds from it before it connects: the classifier's
      data (taxonomy, rules, gazetteers, routes, model), the librdkafka settings of the producer
      and of each Kafka source, and the directories and files newswire writes (state, feed
      directories, broker and address files), which must be writable or creatable. Creates
      nothing and connects nowhere. Prints the effective config (defaults filled in; --quiet
      leaves it out) and exits 0, or lists every problem as file:line:col and exits 78.
  newswire process [-c FILE [--source NAME]] [--quiet] [FILE|DIR...]
      Run the pipeline once on the files, or on standard input when none is given or FILE is
      "-", and print each event as one JSON line {"channel", "key", "headers", "value"}, routed
      copies too ("channel":"route", with "route_topic"). A directory stands for the regular
      files under it, recursively, sorted by path, without the names a feed directory ignores
      (dotfiles, *.tmp, *.part, *.swp, *~). No Kafka involved: the way to see what newswire
      makes of an article. --source NAME applies that feed directory's or Kafka source's
      settings as the daemon does: its name, JSON field names, size limit (max_file_bytes,
      max_record_bytes), a Kafka source's format, a directory's include and exclude globs,
      recursive and follow_symlinks (to the files found in a DIR argument), and `pipeline:
      forward` (the record forwarded as it is). With -c but without --source, one line on
      stderr says which defaults stand in (and names the config's sources). With more than one
      input, progress goes to stderr: a bar with rate and ETA on a terminal, else a line every
      5 s, then a summary; --quiet leaves out that and the defaults line. Exits 65 if any input
      was rejected.
  newswire tail [-c FILE] [--topic TOPIC | --dead-letters] [--from-beginning]
                [--max-events N] [--timeout-ms N] [--json]
      Print the events on kafka.topic as they arrive, a few lines each: time, title, topic
      labels, countries, people, organizations, story, duplicate and key (--json: each value as
      it is, one a line). --dead-letters reads kafka.dead_letter_topic instead. Starts at the
      end, or at the beginning with --from-beginning; joins no consumer group and commits
      nothing. With `kafka.brokers: embedded` it reads the running daemon's broker address from
      kafka.broker_file. Stops on Ctrl-C, after N events, or after --timeout-ms without a new
      one (default 0: never). Exits 69 when Kafka cannot be reached.
  newswire evaluate --input FILE [--labels FILE] [--model FILE] [--classifier rules|model|both]
                    [--model-weight X] [--min-macro-f1 X] [-c FILE]
      Classify labelled articles (TSV with columns category, headline, text) and print per-class
      precision, recall and F1, macro-F1 and the confusion table. --labels maps the dataset's
      categories to IPTC Media Topic codes (YAML `labels: {business: medtop:04000000}`), e.g.
      config/labels/masakhanews.yaml. --model (default classify.model_file) adds a topic model
      from `newswire train`; --classifier picks the rules, the model or both fused (the default
      is both when there is a model, else rules); --model-weight (0 to 1, default 0.2) is the
      model's weight in the fusion. Exits 1 when macro-F1 is below --min-macro-f1, 66 when the
      input cannot be read, 78 on invalid labels or classifier data.
  newswire train --input FILE [--labels FILE] --output FILE [-c FILE] [--epochs N]
                 [--learning-rate X] [--word-ngrams N] [--dimensions N] [--min-count N]
                 [--pretrained-vectors FILE]
      Train a fastText topic model on labelled articles (same input as evaluate) and write it to
      --output, for classify.model_file. Deterministic: the same input gives the same model.
      --pretrained-vectors starts from word vectors in fastText's .vec format (e.g. the public
      cc.en.300.vec), which helps most when there are few labelled articles.
      Exits 66 when the input cannot be read, 70 when training fails (also for unusable word
      vectors), 78 on invalid labels.
  newswire config-reference
      Print every config key with its type, default, bounds and description (Markdown).
  newswire version
      Print the versions of newswire and the libraries it runs on.
  newswire help
      Print this text.

Options:
  -c, --config FILE     config file (default /etc/newswire/newswire.yaml)
  --log-format FORMAT   text (default) or json: one JSON object a line, for journald or ELK.
                        Overrides log.format from the config.
  --log-level LEVEL     trace, debug, info, warn or error. Overrides log.level.
  -h, --help            print this text

Exit codes (one cause each; docs/operations.md):
  0 success, 1 macro-F1 below the minimum (evaluate), 64 wrong usage, 65 input rejected
  (process), 66 input unreadable (evaluate, train), 69 Kafka: a fatal producer error, fenced by
  another instance (exactly-once), the embedded broker or the producer did not start (run), or
  unreachable (tail), 70 internal error or failed training, 71 cannot listen on
  http.address:http.port (run), 73 cannot open the article memory in daemon.state_dir or write
  kafka.broker_file or http.address_file (run), 74 a source failed to start or while running
  (feed directory removed, fatal consumer error), 75 daemon.state_dir in use by another newswire
  (run), 78 invalid configuration, or classifier data, Kafka settings or directories it names
  unusable.

Documentation: docs/cli.md, docs/operations.md, docs/configuration.md, docs/events.md
)";

struct Arguments {
  std::string command;
  std::string config_path;
  std::optional<std::string> log_format;
  std::optional<std::string> log_level;
  std::vector<std::string> files;
  bool quiet = false;  // process: no progress; check-config: no rendered config
  std::string source;  // process: the configured source whose settings apply
  TailOptions tail;
  // evaluate and train
  std::string input;
  std::string labels;
  std::optional<double> min_macro_f1;
  std::string model;
  std::optional<ClassifierChoice> classifier;
  double model_weight = pipeline::kDefaultModelWeight;
  std::string output;
  pipeline::TrainOptions train;
};

// A number from `minimum` to `maximum`, or the usage error for `option`.
tl::expected<double, std::string> ParseNumber(std::string_view option, const std::string& text,
                                              double minimum, double maximum) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(number >= minimum && number <= maximum)) {
    return tl::unexpected(
        fmt::format("{} wants a number from {} to {}, not '{}'", option, minimum, maximum, text));
  }
  return number;
}

// A whole number from `minimum` to `maximum`, or the usage error for `option`.
tl::expected<std::int64_t, std::string> ParseWholeNumber(std::string_view option,
                                                         const std::string& text,
                                                         std::int64_t minimum,
                                                         std::int64_t maximum) {
  auto number =
      ParseNumber(option, text, static_cast<double>(minimum), static_cast<double>(maximum));
  if (!number) return tl::unexpected(number.error());
  if (*number != std::floor(*number)) {
    return tl::unexpected(fmt::format("{} wants a whole number, not '{}'", option, text));
  }
  return static_cast<std::int64_t>(*number);
}

// A whole number from 1 to `maximum`, or the usage error for `option`.
tl::expected<int, std::string> ParseCount(std::string_view option, const std::string& text,
                                          int maximum) {
  return ParseWholeNumber(option, text, 1, maximum).map([](std::int64_t count) {
    return static_cast<int>(count);
  });
}

// Returns the parsed arguments or an error sentence for a usage error.
tl::expected<Arguments, std::string> Parse(int argc, char** argv) {
  Arguments arguments;
  std::vector<std::string_view> words(argv + 1, argv + argc);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    auto value = [&](std::string_view option) -> tl::expected<std::string, std::string> {
      if (i + 1 >= words.size()) return tl::unexpected(fmt::format("{} needs a value", option));
      return std::string(words[++i]);
    };
    if (word == "-h" || word == "--help") {
      arguments.command = "help";
      return arguments;
    }
    if (word == "--quiet" || word == "--from-beginning" || word == "--json" ||
        word == "--dead-letters") {
      if (word == "--quiet") {
        arguments.quiet = true;
      } else if (word == "--from-beginning") {
        arguments.tail.from_beginning = true;
      } else if (word == "--json") {
        arguments.tail.json = true;
      } else {
        arguments.tail.dead_letters = true;
      }
      continue;
    }
    if (word == "--topic" || word == "--max-events" || word == "--timeout-ms") {
      auto given = value(word);
      if (!given) return tl::unexpected(given.error());
      tl::expected<void, std::string> stored;
      if (word == "--topic") {
        arguments.tail.topic = *given;
      } else if (word == "--max-events") {
        stored = ParseWholeNumber(word, *given, 1, kMaxTailEvents).map([&](std::int64_t count) {
          arguments.tail.max_events = count;
        });
      } else {
        stored = ParseWholeNumber(word, *given, 0, kMaxTailTimeoutMs).map([&](std::int64_t ms) {
          arguments.tail.timeout_ms = ms;
        });
      }
      if (!stored) return tl::unexpected(stored.error());
      continue;
    }
    if (word == "-c" || word == "--config" || word == "--log-format" || word == "--log-level" ||
        word == "--source") {
      auto given = value(word);
      if (!given) return tl::unexpected(given.error());
      if (word == "--source") {
        arguments.source = *given;
      } else if (word == "--log-format") {
        arguments.log_format = *given;
      } else if (word == "--log-level") {
        arguments.log_level = *given;
      } else {
        arguments.config_path = *given;
      }
      continue;
    }
    if (word == "--input" || word == "--labels" || word == "--min-macro-f1" || word == "--model" ||
        word == "--classifier" || word == "--model-weight" || word == "--output" ||
        word == "--epochs" || word == "--learning-rate" || word == "--word-ngrams" ||
        word == "--dimensions" || word == "--min-count" || word == "--pretrained-vectors") {
      auto given = value(word);
      if (!given) return tl::unexpected(given.error());
      tl::expected<void, std::string> stored;
      if (word == "--input") {
        arguments.input = *given;
      } else if (word == "--labels") {
        arguments.labels = *given;
      } else if (word == "--model") {
        arguments.model = *given;
      } else if (word == "--output") {
        arguments.output = *given;
      } else if (word == "--pretrained-vectors") {
        arguments.train.pretrained_vectors = *given;
      } else if (word == "--classifier") {
        if (*given == "rules") {
          arguments.classifier = ClassifierChoice::kRules;
        } else if (*given == "model") {
          arguments.classifier = ClassifierChoice::kModel;
        } else if (*given == "both") {
          arguments.classifier = ClassifierChoice::kBoth;
        } else {
          return tl::unexpected(
              fmt::format("--classifier wants rules, model or both, not '{}'", *given));
        }
      } else if (word == "--min-macro-f1") {
        stored = ParseNumber(word, *given, 0, 1).map([&](double number) {
          arguments.min_macro_f1 = number;
        });
      } else if (word == "--model-weight") {
        stored = ParseNumber(word, *given, 0, 1).map([&](double number) {
          arguments.model_weight = number;
        });
      } else if (word == "--learning-rate") {
        stored = ParseNumber(word, *given, 0.001, 10).map([&](double number) {
          arguments.train.learning_rate = number;
        });
      } else if (word == "--epochs") {
        stored =
            ParseCount(word, *given, 10000).map([&](int count) { arguments.train.epochs = count; });
      } else if (word == "--word-ngrams") {
        stored = ParseCount(word, *given, 5).map([&](int count) {
          arguments.train.word_ngrams = count;
        });
      } else if (word == "--min-count") {
        stored = ParseCount(word, *given, 1000).map([&](int count) {
          arguments.train.min_count = count;
        });
      } else {
        stored = ParseCount(word, *given, 1000).map([&](int count) {
          arguments.train.dimensions = count;
        });
      }
      if (!stored) return tl::unexpected(stored.error());
      continue;
    }
    if (word.size() > 1 && word.front() == '-' && word != "-") {
      return tl::unexpected(fmt::format("unknown option '{}'", word));
    }
    if (arguments.command.empty()) {
      arguments.command = std::string(word);
    } else if (arguments.command == "process") {
      arguments.files.emplace_back(word);
    } else {
      return tl::unexpected(fmt::format("unexpected argument '{}'", word));
    }
  }
  if (arguments.command.empty()) return tl::unexpected(std::string("no command given"));
  if ((arguments.command == "evaluate" || arguments.command == "train") &&
      arguments.input.empty()) {
    return tl::unexpected(fmt::format("{} needs --input FILE", arguments.command));
  }
  if (arguments.command == "train" && arguments.output.empty()) {
    return tl::unexpected(std::string("train needs --output FILE"));
  }
  if (!arguments.source.empty() && arguments.command != "process") {
    return tl::unexpected(std::string("--source is an option of process"));
  }
  if (!arguments.source.empty() && arguments.config_path.empty()) {
    return tl::unexpected(std::string("--source NAME needs -c FILE, the config that names it"));
  }
  if (arguments.quiet && arguments.command != "process" && arguments.command != "check-config") {
    return tl::unexpected(std::string("--quiet is an option of process and check-config"));
  }
  if (arguments.command == "tail" && !arguments.tail.topic.empty() && arguments.tail.dead_letters) {
    return tl::unexpected(std::string("tail takes --topic or --dead-letters, not both"));
  }
  return arguments;
}

std::optional<config::Config> LoadOrReport(const std::string& path) {
  auto loaded = config::LoadConfig(path);
  if (loaded) return std::move(*loaded);
  for (const auto& error : loaded.error()) std::cerr << error.Describe() << "\n";
  std::cerr << fmt::format("{}: {} error(s); newswire did not start\n", path,
                           loaded.error().size());
  return std::nullopt;
}

// The config at `path` and what `run` builds from it before it connects, or nothing when either
// has problems: then every one is on stderr, as `file:line:col: message`, the loader's and
// PrepareStart's alike.
std::optional<std::pair<config::Config, PreparedStart>> LoadAndPrepare(const std::string& path) {
  auto config = LoadOrReport(path);
  if (!config) return std::nullopt;
  auto prepared = PrepareStart(*config);
  if (prepared) return std::pair(std::move(*config), std::move(*prepared));
  for (const std::string& problem : prepared.error()) std::cerr << problem << "\n";
  std::cerr << fmt::format(
      "{}: {} error(s) in the config or the files it names; newswire did not start\n", path,
      prepared.error().size());
  return std::nullopt;
}

int CheckConfig(const Arguments& arguments) {
  auto loaded = LoadAndPrepare(arguments.config_path);
  if (!loaded) return kExitConfig;
  if (!arguments.quiet) std::cout << config::RenderConfig(loaded->first);
  std::cerr << arguments.config_path << ": valid\n";
  return kExitOk;
}

int Run(const Arguments& arguments) {
  auto loaded = LoadAndPrepare(arguments.config_path);
  if (!loaded) return kExitConfig;
  auto& [config, prepared] = *loaded;
  LoggingOptions logging{arguments.log_level.value_or(config.log.level),
                         arguments.log_format.value_or(config.log.format)};
  if (auto set_up = SetupLogging(logging); !set_up) {
    std::cerr << set_up.error().message << "\n";
    return kExitUsage;
  }
  spdlog::info("newswire {} starting with {}", NEWSWIRE_VERSION, config.file);
  return RunDaemon(config, std::move(prepared),
                   DaemonOptions{.log_level_from_command_line = arguments.log_level.has_value()});
}

Result<std::string> ReadInput(const std::string& name) {
  std::ostringstream buffer;
  if (name == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream file(name, std::ios::binary);
  if (!file) {
    return MakeError(Stage::kSource, ErrorCode::kIo,
                     fmt::format("cannot open: {}", std::strerror(errno)));
  }
  buffer << file.rdbuf();
  return buffer.str();
}

// What `process` applies of one configured source (--source), as the daemon applies it to what
// that source hands out; the defaults without --source.
struct SourceSettings {
  std::string name = "process";
  // A feed directory's max_file_bytes or a Kafka source's max_record_bytes, by its key; larger
  // inputs are refused unread, as the source refuses them.
  std::optional<std::int64_t> max_bytes;
  std::string_view max_bytes_key;
  std::string content_type;  // a Kafka source's `format` unless auto: what the decoder is told
  // A feed directory's globs on file names, whether it takes files from subdirectories and
  // symbolic links, for the files found in a directory argument.
  std::vector<std::string> include = {"*"};
  std::vector<std::string> exclude;
  bool recursive = true;
  bool follow_symlinks = false;
  std::string forward_topic;  // `pipeline: forward`: the bytes go there as they are
};

// Adds the regular files under `directory` to `files`, leaving out the names a feed directory
// ignores (in subdirectory names too), the names `settings` does not include, symbolic links
// unless it follows them, and subdirectories unless it is recursive.
// Returns false when some directory could not be listed (said on stderr).
bool CollectFiles(const fs::path& directory, const SourceSettings& settings,
                  std::vector<std::string>& files) {
  bool complete = true;
  std::error_code error;
  fs::directory_iterator entry(directory, error);
  for (const fs::directory_iterator end; !error && entry != end; entry.increment(error)) {
    const fs::path& path = entry->path();
    if (sources::IsIgnoredName(path.filename().string())) continue;
    std::error_code status_error;
    fs::file_type type = entry->symlink_status(status_error).type();
    if (type == fs::file_type::symlink && settings.follow_symlinks) {
      type = entry->status(status_error).type();
      if (type != fs::file_type::regular) continue;  // the source follows links to files only
    }
    if (type == fs::file_type::directory) {
      if (settings.recursive) complete = CollectFiles(path, settings, files) && complete;
    } else if (type == fs::file_type::regular &&
               sources::IsWantedName(path.filename().string(), settings.include,
                                     settings.exclude)) {
      files.push_back(path.string());
    }
  }
  if (error) {
    std::cerr << fmt::format("{}: cannot list: {}\n", directory.string(), error.message());
    return false;
  }
  return complete;
}

// The inputs of `process` in order: each argument as given ("-" is stdin), a directory replaced
// by the files under it, sorted by path. Returns false when a directory could not be listed.
bool ExpandInputs(const std::vector<std::string>& arguments, const SourceSettings& settings,
                  std::vector<std::string>& inputs) {
  bool complete = true;
  for (const auto& argument : arguments) {
    std::error_code error;
    if (argument == "-" || !fs::is_directory(argument, error)) {
      inputs.push_back(argument);
      continue;
    }
    std::vector<std::string> files;
    complete = CollectFiles(argument, settings, files) && complete;
    if (files.empty()) std::cerr << fmt::format("{}: no files to process\n", argument);
    std::sort(files.begin(), files.end());
    inputs.insert(inputs.end(), files.begin(), files.end());
  }
  return complete;
}

// The names of the config's sources, feed directories first, in config order.
std::vector<std::string> SourceNames(const config::Config& config) {
  std::vector<std::string> names;
  for (const auto& directory : config.directories) names.push_back(directory.name);
  for (const auto& source : config.kafka_sources) names.push_back(source.name);
  return names;
}

// The settings of the source named `name` in `config`, and its JSON field names in `options`;
// the usage error when there is no such source.
tl::expected<SourceSettings, std::string> SettingsOfSource(const config::Config& config,
                                                           const std::string& name,
                                                           pipeline::PipelineOptions& options) {
  SourceSettings settings;
  settings.name = name;
  for (const config::DirectorySourceConfig& directory : config.directories) {
    if (directory.name != name) continue;
    options.json_fields = JsonFieldMappingFrom(directory.json_fields);
    settings.max_bytes = directory.max_file_bytes;
    settings.max_bytes_key = "max_file_bytes";
    settings.include = directory.include;
    settings.exclude = directory.exclude;
    settings.recursive = directory.recursive;
    settings.follow_symlinks = directory.follow_symlinks;
    if (directory.pipeline == "forward") settings.forward_topic = directory.forward_topic;
    return settings;
  }
  for (const config::KafkaSourceConfig& source : config.kafka_sources) {
    if (source.name != name) continue;
    options.json_fields = JsonFieldMappingFrom(source.json_fields);
    settings.max_bytes = source.max_record_bytes;
    settings.max_bytes_key = "max_record_bytes";
    if (source.format != "auto") settings.content_type = source.format;
    return settings;
  }
  return tl::unexpected(fmt::format("{} has no source named '{}'; its sources: {}", config.file,
                                    name, fmt::join(SourceNames(config), ", ")));
}

int Process(const Arguments& arguments) {
  pipeline::PipelineOptions options;
  options.source_uri = "newswire://process";
  config::ClassifyConfig classify;
  classify.data_dir = config::DefaultDataDirectory();
  pipeline::MemoryOptions memory_options;
  SourceSettings settings;
  std::vector<std::string> source_names;
  if (!arguments.config_path.empty()) {
    auto config = LoadOrReport(arguments.config_path);
    if (!config) return kExitConfig;
    if (!config->daemon.source_uri.empty()) options.source_uri = config->daemon.source_uri;
    classify = config->classify;
    memory_options = MemoryOptionsFrom(*config);
    options.max_articles_per_item = static_cast<std::size_t>(config->limits.max_articles_per_item);
    if (!arguments.source.empty()) {
      auto chosen = SettingsOfSource(*config, arguments.source, options);
      if (!chosen) {
        std::cerr << "newswire: " << chosen.error() << "\n";
        return kExitUsage;
      }
      settings = std::move(*chosen);
    }
    source_names = SourceNames(*config);
  }
  if (arguments.source.empty() && !arguments.config_path.empty() && !arguments.quiet) {
    // The config's sources may read JSON, limit sizes or pick files differently from the
    // defaults; say which settings stand in, and how to pick a source's.
    std::cerr << fmt::format(
        "process: no --source, so the defaults of a source: JSON fields title|headline, "
        "body|text|content|articleBody, url, author, published|datePublished, language; "
        "format sniffed; no size limit; every file name; source name 'process' (--source "
        "NAME applies one of {}: {})\n",
        arguments.config_path, fmt::join(source_names, ", "));
  }
  auto classifier = LoadClassifier(classify);
  if (!classifier) {
    std::cerr << classifier.error().Describe() << "\n";
    return kExitConfig;
  }
  options.classifier = std::move(*classifier);
  // Duplicates and stories among the inputs of this run only; nothing is kept.
  options.memory = std::make_shared<pipeline::InMemoryArticleMemory>(memory_options);
  pipeline::Pipeline pipeline(options);
  std::vector<std::string> inputs;
  int exit_code = ExpandInputs(arguments.files, settings, inputs) ? kExitOk : kExitDataError;
  if (arguments.files.empty()) inputs.emplace_back("-");

  // One input keeps stderr as it always was: errors only.
  std::optional<ProgressReporter> progress;
  if (!arguments.quiet && inputs.size() > 1) {
    progress.emplace(std::cerr, isatty(STDERR_FILENO) == 1, inputs.size(),
                     std::chrono::steady_clock::now());
  }
  // Events on the same terminal as the bar would land in the middle of it.
  const bool events_on_terminal = progress && isatty(STDOUT_FILENO) == 1;
  auto report = [&](const std::string& input, const Error& error) {
    if (progress) progress->Interrupt();
    std::cerr << fmt::format("{}: {}\n", input == "-" ? "stdin" : input, error.Describe());
    exit_code = kExitDataError;
  };
  for (const auto& input : inputs) {
    bool failed = false;
    std::size_t articles = 0;
    RawArticle raw;
    raw.origin.kind = input == "-" ? Origin::Kind::kStdin : Origin::Kind::kFile;
    raw.origin.source_name = settings.name;
    raw.origin.path = input == "-" ? "" : input;
    raw.content_type = settings.content_type;
    auto bytes = ReadInput(input);
    if (bytes && settings.max_bytes &&
        static_cast<std::int64_t>(bytes->size()) > *settings.max_bytes) {
      // The source would refuse it unread, with this dead letter.
      report(input, Error{Stage::kSource, ErrorCode::kTooLarge,
                          fmt::format("is {} bytes, over {} ({}); not read", bytes->size(),
                                      settings.max_bytes_key, *settings.max_bytes)});
      failed = true;
    } else if (bytes && !settings.forward_topic.empty()) {
      raw.bytes = std::move(*bytes);
      if (events_on_terminal) progress->Interrupt();
      std::cout << pipeline::EventToJsonLine(pipeline::EncodeForwarded(
                       std::move(raw), settings.forward_topic, options.source_uri))
                << "\n";
      ++articles;
    } else if (bytes) {
      raw.bytes = std::move(*bytes);
      auto processed = pipeline.Process(raw, std::chrono::system_clock::now());
      if (processed) {
        if (events_on_terminal) progress->Interrupt();
        for (const auto& result : *processed) {
          if (result) {
            std::cout << pipeline::EventToJsonLine(*result) << "\n";
            // Routed copies are more lines, not more articles.
            if (result->channel == Channel::kEvents) ++articles;
          } else {
            report(input, result.error());
            failed = true;
          }
        }
        if (events_on_terminal) std::cout.flush();
      } else {
        report(input, processed.error());
        failed = true;
      }
    } else {
      // Named as given, "-" included, as it always was for unreadable input.
      if (progress) progress->Interrupt();
      std::cerr << fmt::format("{}: {}\n", input, bytes.error().Describe());
      exit_code = kExitDataError;
      failed = true;
    }
    if (progress) progress->FileDone(failed, articles, std::chrono::steady_clock::now());
  }
  if (progress) {
    // The summary follows the last event, not the other way round, on a shared terminal.
    std::cout.flush();
    progress->Finish(std::chrono::steady_clock::now());
  }
  return exit_code;
}

int TailTopic(const Arguments& arguments) {
  auto config = LoadOrReport(arguments.config_path);
  if (!config) return kExitConfig;
  // tail says itself what went wrong with the connection; librdkafka's own log lines (to stderr)
  // only with --log-level.
  LoggingOptions logging{arguments.log_level.value_or("off"),
                         arguments.log_format.value_or("text")};
  if (auto set_up = SetupLogging(logging); !set_up) {
    std::cerr << set_up.error().message << "\n";
    return kExitUsage;
  }
  return Tail(*config, arguments.tail);
}

}  // namespace

int RunCommandLine(int argc, char** argv) {
  auto arguments = Parse(argc, argv);
  if (!arguments) {
    std::cerr << "newswire: " << arguments.error() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (arguments->config_path.empty() && arguments->command != "process" &&
      arguments->command != "evaluate" && arguments->command != "train") {
    arguments->config_path = std::string(kDefaultConfigPath);
  }
  const std::string& command = arguments->command;
  if (command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "version") {
    std::cout << fmt::format("newswire {}\nlibrdkafka {}\nICU {}\n", NEWSWIRE_VERSION,
                             rd_kafka_version_str(), U_ICU_VERSION);
    return kExitOk;
  }
  if (command == "config-reference") {
    std::cout << config::ConfigReference();
    return kExitOk;
  }
  if (command == "check-config") return CheckConfig(*arguments);
  if (command == "run") return Run(*arguments);
  if (command == "process") return Process(*arguments);
  if (command == "tail") return TailTopic(*arguments);
  if (command == "evaluate") {
    EvaluateOptions options;
    options.input = arguments->input;
    options.labels = arguments->labels;
    options.data_dir = config::DefaultDataDirectory();
    options.classifier = arguments->classifier;
    options.model_weight = arguments->model_weight;
    options.min_macro_f1 = arguments->min_macro_f1;
    if (!arguments->config_path.empty()) {
      auto config = LoadOrReport(arguments->config_path);
      if (!config) return kExitConfig;
      options.data_dir = config->classify.data_dir;
      options.model_file = config->classify.model_file;
    }
    if (!arguments->model.empty()) options.model_file = arguments->model;
    return Evaluate(options);
  }
  if (command == "train") {
    TrainCommandOptions options;
    options.input = arguments->input;
    options.labels = arguments->labels;
    options.output = arguments->output;
    options.data_dir = config::DefaultDataDirectory();
    options.train = arguments->train;
    if (!arguments->config_path.empty()) {
      auto config = LoadOrReport(arguments->config_path);
      if (!config) return kExitConfig;
      options.data_dir = config->classify.data_dir;
    }
    return Train(options);
  }
  std::cerr << fmt::format("newswire: unknown command '{}'\n\n", command) << kUsage;
  return kExitUsage;
}

}  // namespace newswire::app
