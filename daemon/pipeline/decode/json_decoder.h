#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// Which JSON members hold which article field, first match wins.
struct JsonFieldMapping {
  std::vector<std::string> title = {"title", "headline"};
  std::vector<std::string> body = {"body", "text", "content", "articleBody"};
  std::vector<std::string> url = {"url"};
  std::vector<std::string> author = {"author"};
  std::vector<std::string> published = {"published", "datePublished"};
  std::vector<std::string> language = {"language"};
};

// One JSON article object per input.
Result<std::vector<Result<Article>>> DecodeJson(const RawArticle& raw, std::string_view utf8_text,
                                                const JsonFieldMapping& mapping);

// JSON Lines: one article per line; a bad line is its own inner error, the others go on.
Result<std::vector<Result<Article>>> DecodeJsonLines(const RawArticle& raw,
                                                     std::string_view utf8_text,
                                                     const JsonFieldMapping& mapping);

}  // namespace newswire::pipeline
