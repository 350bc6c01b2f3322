#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/pipeline/classify/classifier.h"

namespace newswire::test_support {

// Builds the classifier from the data the project ships (config/taxonomy, config/rules,
// config/gazetteers, and the iso-codes package's ISO 3166-1 JSON), as the daemon's LoadClassifier
// does, for tests and benchmarks that link the pipeline only. NEWSWIRE_SOURCE_DIR is a compile
// definition of every test and benchmark target.
inline Result<std::shared_ptr<const pipeline::Classifier>> BuildShippedClassifier() {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(NEWSWIRE_SOURCE_DIR) / "config";
  auto read = [](const fs::path& path) {
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream contents;
    contents << stream.rdbuf();
    return pipeline::RuleSource{path.string(), std::move(contents).str()};
  };
  pipeline::ClassifierSources sources;
  sources.taxonomy = read(root / "taxonomy/iptc-mediatopics.tsv");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "rules/topics")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) sources.topic_rules.push_back(read(file));
  sources.iso_3166 = read("/usr/share/iso-codes/json/iso_3166-1.json");
  files.clear();
  for (const auto& entry : fs::directory_iterator(root / "gazetteers")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) sources.gazetteers.push_back(read(file));
  return pipeline::Classifier::Build(sources);
}

}  // namespace newswire::test_support
