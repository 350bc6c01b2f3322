#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

// Shared by the pipeline tests: the sample articles in tests/data/articles and raw items made
// from strings.
namespace newswire::pipeline::test_helpers {

inline std::filesystem::path SourceDirectory() { return NEWSWIRE_SOURCE_DIR; }

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

struct Sample {
  std::filesystem::path path;
  std::string bytes;
};

// The five samples, sorted by name (000_... to 004_...).
inline std::vector<Sample> LoadSamples() {
  std::vector<Sample> samples;
  for (const auto& entry :
       std::filesystem::directory_iterator(SourceDirectory() / "tests/data/articles")) {
    if (entry.path().extension() == ".txt") samples.push_back({entry.path(), ReadFile(entry)});
  }
  std::sort(samples.begin(), samples.end(),
            [](const Sample& left, const Sample& right) { return left.path < right.path; });
  return samples;
}

inline RawArticle FileItem(std::string bytes, std::string path = "/var/inbox/a.txt") {
  RawArticle raw;
  raw.bytes = std::move(bytes);
  raw.origin.kind = Origin::Kind::kFile;
  raw.origin.source_name = "inbox";
  raw.origin.path = std::move(path);
  return raw;
}

// The only article of a decoded item; fails the test, and gives an empty article, unless the
// item decoded to exactly one good article.
inline Article OnlyArticle(Result<std::vector<Result<Article>>> decoded) {
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded) return {};
  EXPECT_EQ(decoded->size(), 1U);
  if (decoded->size() != 1U) return {};
  EXPECT_TRUE(decoded->front().has_value()) << decoded->front().error().Describe();
  if (!decoded->front()) return {};
  return std::move(*decoded->front());
}

inline RawArticle SampleItem(const Sample& sample) {
  return FileItem(sample.bytes, sample.path.string());
}

// Lines of `text` (LF, CRLF or CR) that hold more than spaces and tabs: what a reader of the
// sample sees as its title and paragraphs.
inline std::size_t CountNonBlankLines(std::string_view text) {
  std::size_t count = 0;
  bool line_has_text = false;
  for (std::size_t index = 0; index <= text.size(); ++index) {
    const char character = index < text.size() ? text[index] : '\n';
    if (character == '\n' || character == '\r') {
      if (line_has_text) ++count;
      line_has_text = false;
    } else if (character != ' ' && character != '\t') {
      line_has_text = true;
    }
  }
  return count;
}

inline std::size_t CountParagraphs(std::string_view body) {
  if (body.empty()) return 0;
  std::size_t count = 1;
  for (std::size_t at = body.find("\n\n"); at != std::string_view::npos;
       at = body.find("\n\n", at + 2)) {
    ++count;
  }
  return count;
}

}  // namespace newswire::pipeline::test_helpers
