#include "daemon/app/evaluate_command.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "daemon/app/classifier_loader.h"
#include "daemon/pipeline/classify/evaluation.h"
#include "daemon/pipeline/normalize/normalizer.h"

namespace newswire::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBelowThreshold = 1;
constexpr int kExitNoInput = 66;
constexpr int kExitConfig = 78;

std::optional<std::string> ReadWhole(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream contents;
  contents << stream.rdbuf();
  return std::move(contents).str();
}

}  // namespace

int Evaluate(const EvaluateOptions& options) {
  auto classifier = LoadClassifier(options.data_dir);
  if (!classifier) {
    std::cerr << classifier.error().Describe() << "\n";
    return kExitConfig;
  }
  const auto input = ReadWhole(options.input);
  if (!input) {
    std::cerr << fmt::format("newswire evaluate: cannot read {}\n", options.input);
    return kExitNoInput;
  }
  auto articles = pipeline::ParseLabelledTsv(*input, options.input);
  if (!articles) {
    std::cerr << articles.error().message << "\n";
    return kExitConfig;
  }

  std::map<std::string, std::string> mapping;
  if (!options.labels.empty()) {
    const auto labels_text = ReadWhole(options.labels);
    if (!labels_text) {
      std::cerr << fmt::format("newswire evaluate: cannot read {}\n", options.labels);
      return kExitNoInput;
    }
    auto parsed =
        pipeline::ParseLabelMapping(*labels_text, options.labels, (*classifier)->taxonomy());
    if (!parsed) {
      std::cerr << parsed.error().message << "\n";
      return kExitConfig;
    }
    mapping = std::move(*parsed);
  }
  // The classes, in the order they first appear; a label without a mapping must be a code.
  std::vector<std::string> classes;
  std::vector<std::string> expected;
  for (const auto& article : *articles) {
    std::string code;
    if (const auto mapped = mapping.find(article.label); mapped != mapping.end()) {
      code = mapped->second;
    } else if (const auto* topic = (*classifier)->taxonomy().Find(article.label)) {
      code = topic->code;
    } else {
      std::cerr << fmt::format(
          "{}:{}: label '{}' is neither in the label file nor an IPTC Media Topic code\n",
          options.input, article.line, article.label);
      return kExitConfig;
    }
    if (std::find(classes.begin(), classes.end(), code) == classes.end()) classes.push_back(code);
    expected.push_back(std::move(code));
  }

  pipeline::ClassificationReport report(classes);
  std::size_t failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t index = 0; index < articles->size(); ++index) {
    Article article;
    article.title = (*articles)[index].headline;
    article.body = (*articles)[index].text;
    auto classified = pipeline::Normalize(std::move(article)).and_then([&](Article normalized) {
      return (*classifier)->Classify(std::move(normalized));
    });
    if (!classified) {
      ++failed;
      report.Add(expected[index], "");
      continue;
    }
    report.Add(expected[index], pipeline::PredictClass(classified->topics, classes));
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);

  std::map<std::string, std::string> names;
  for (const auto& [label, code] : mapping) names[code] = label;
  std::cout << fmt::format("{}: {} articles, {} classes, classifier: rules ({} rules)\n\n",
                           options.input, articles->size(), classes.size(),
                           (*classifier)->topic_rules().rule_count());
  std::cout << report.Render(names);
  std::cout << fmt::format("\nmacro-F1 {:.4f}  ({} articles failed to classify, {:.2f} s)\n",
                           report.MacroF1(), failed, elapsed.count());
  if (options.min_macro_f1 && report.MacroF1() < *options.min_macro_f1) {
    std::cout << fmt::format("FAIL: macro-F1 {:.4f} is below {:.4f}\n", report.MacroF1(),
                             *options.min_macro_f1);
    return kExitBelowThreshold;
  }
  return kExitOk;
}

}  // namespace newswire::app
