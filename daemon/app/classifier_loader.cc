#include "daemon/app/classifier_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

namespace newswire {
namespace {

namespace fs = std::filesystem;

Result<pipeline::RuleSource> ReadSource(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot read {}: {}", path.string(),
                                 std::error_code(errno, std::generic_category()).message()));
  }
  std::ostringstream contents;
  contents << stream.rdbuf();
  return pipeline::RuleSource{path.string(), std::move(contents).str()};
}

// ISO 3166-1 country names and codes, read from Debian's iso-codes package at run time.
constexpr char kIso3166Path[] = "/usr/share/iso-codes/json/iso_3166-1.json";

// Every *.yaml file directly in `directory`, sorted by name.
Result<std::vector<pipeline::RuleSource>> ReadYamlFiles(const fs::path& directory,
                                                        std::string_view what) {
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator entry(directory, error), end; !error && entry != end;
       entry.increment(error)) {
    if (entry->path().extension() == ".yaml" && entry->is_regular_file()) {
      files.push_back(entry->path());
    }
  }
  if (error) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot list the {} in {}: {} (classify.data_dir)", what,
                                 directory.string(), error.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<pipeline::RuleSource> sources;
  for (const fs::path& path : files) {
    auto source = ReadSource(path);
    if (!source) return tl::unexpected<Error>(std::move(source.error()));
    sources.push_back(std::move(*source));
  }
  return sources;
}

}  // namespace

Result<std::shared_ptr<const pipeline::Classifier>> LoadClassifier(
    const config::ClassifyConfig& classify) {
  const fs::path root(classify.data_dir);
  pipeline::ClassifierSources sources;
  // Every file that cannot be read is listed, not just the first.
  std::vector<std::string> unreadable;
  const auto keep = [&unreadable](auto read, auto& into) {
    if (read) {
      into = std::move(*read);
    } else {
      unreadable.push_back(read.error().message);
    }
  };
  keep(ReadSource(root / "taxonomy" / "iptc-mediatopics.tsv"), sources.taxonomy);
  keep(ReadYamlFiles(root / "rules" / "topics", "topic rules"), sources.topic_rules);
  if (auto iso_3166 = ReadSource(kIso3166Path); iso_3166) {
    sources.iso_3166 = std::move(*iso_3166);
  } else {
    unreadable.push_back(
        fmt::format("{}; the country names come from Debian's iso-codes package: install it "
                    "(apt-get install iso-codes, deploy/install-deps.sh)",
                    iso_3166.error().message));
  }
  keep(ReadYamlFiles(root / "gazetteers", "entity gazetteers"), sources.gazetteers);
  if (!classify.routes_file.empty()) keep(ReadSource(classify.routes_file), sources.routes);
  if (unreadable.size() == 1) return MakeError(Stage::kConfig, ErrorCode::kIo, unreadable.front());
  if (!unreadable.empty()) return MakeProblemListError("the classifier's data", unreadable);
  sources.model_file = classify.model_file;
  return pipeline::Classifier::Build(sources);
}

Result<std::shared_ptr<const pipeline::Classifier>> LoadClassifier(const std::string& data_dir) {
  config::ClassifyConfig classify;
  classify.data_dir = data_dir;
  return LoadClassifier(classify);
}

pipeline::JsonFieldMapping JsonFieldMappingFrom(const config::JsonFieldNames& fields) {
  return {fields.title, fields.body, fields.url, fields.author, fields.published, fields.language};
}

pipeline::MemoryOptions MemoryOptionsFrom(const config::Config& config) {
  pipeline::MemoryOptions options;
  options.max_articles = static_cast<std::size_t>(config.duplicates.window_articles);
  options.max_age_ms = config.duplicates.window_ms;
  options.max_distance = static_cast<int>(config.duplicates.max_distance);
  options.story_window_ms = config.stories.window_ms;
  options.story_min_similarity = static_cast<double>(config.stories.min_shared_percent) / 100.0;
  options.max_stories = static_cast<std::size_t>(config.stories.max_stories);
  return options;
}

}  // namespace newswire
