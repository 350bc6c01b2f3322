#include "daemon/app/labelled_input.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <utility>

namespace newswire::app {
namespace {

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

tl::expected<LabelledInput, int> ReadLabelledInput(const std::string& command,
                                                   const std::string& input,
                                                   const std::string& labels,
                                                   const pipeline::Taxonomy& taxonomy) {
  const auto input_text = ReadWhole(input);
  if (!input_text) {
    std::cerr << fmt::format("newswire {}: cannot read {}\n", command, input);
    return tl::unexpected(kExitNoInput);
  }
  auto articles = pipeline::ParseLabelledTsv(*input_text, input);
  if (!articles) {
    std::cerr << articles.error().message << "\n";
    return tl::unexpected(kExitConfig);
  }

  std::map<std::string, std::string> mapping;
  if (!labels.empty()) {
    const auto labels_text = ReadWhole(labels);
    if (!labels_text) {
      std::cerr << fmt::format("newswire {}: cannot read {}\n", command, labels);
      return tl::unexpected(kExitNoInput);
    }
    auto parsed = pipeline::ParseLabelMapping(*labels_text, labels, taxonomy);
    if (!parsed) {
      std::cerr << parsed.error().message << "\n";
      return tl::unexpected(kExitConfig);
    }
    mapping = std::move(*parsed);
  }

  LabelledInput result;
  // A label without a mapping must be a code.
  for (const auto& article : *articles) {
    std::string code;
    if (const auto mapped = mapping.find(article.label); mapped != mapping.end()) {
      code = mapped->second;
    } else if (const auto* topic = taxonomy.Find(article.label)) {
      code = topic->code;
    } else {
      std::cerr << fmt::format(
          "{}:{}: label '{}' is neither in the label file nor an IPTC Media Topic code\n", input,
          article.line, article.label);
      return tl::unexpected(kExitConfig);
    }
    if (std::find(result.classes.begin(), result.classes.end(), code) == result.classes.end()) {
      result.classes.push_back(code);
    }
    result.codes.push_back(std::move(code));
  }
  result.articles = std::move(*articles);
  for (const auto& [label, code] : mapping) result.names[code] = label;
  return result;
}

}  // namespace newswire::app
