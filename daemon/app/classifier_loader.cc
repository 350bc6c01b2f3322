#include "daemon/app/classifier_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
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

}  // namespace

Result<std::shared_ptr<const pipeline::Classifier>> LoadClassifier(const std::string& data_dir) {
  const fs::path root(data_dir);
  pipeline::ClassifierSources sources;
  auto taxonomy = ReadSource(root / "taxonomy" / "iptc-mediatopics.tsv");
  if (!taxonomy) return tl::unexpected<Error>(std::move(taxonomy.error()));
  sources.taxonomy = std::move(*taxonomy);

  const fs::path rules_dir = root / "rules" / "topics";
  std::error_code error;
  std::vector<fs::path> rule_files;
  for (fs::directory_iterator entry(rules_dir, error), end; !error && entry != end;
       entry.increment(error)) {
    if (entry->path().extension() == ".yaml" && entry->is_regular_file()) {
      rule_files.push_back(entry->path());
    }
  }
  if (error) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot list the topic rules in {}: {} (classify.data_dir)",
                                 rules_dir.string(), error.message()));
  }
  std::sort(rule_files.begin(), rule_files.end());
  for (const fs::path& path : rule_files) {
    auto source = ReadSource(path);
    if (!source) return tl::unexpected<Error>(std::move(source.error()));
    sources.topic_rules.push_back(std::move(*source));
  }
  return pipeline::Classifier::Build(sources);
}

}  // namespace newswire
