#pragma once

#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// RSS 2.0 and Atom feed files: one article per item/entry. Never fetches external entities nor
// expands entity definitions. Pure, thread-safe.
Result<std::vector<Result<Article>>> DecodeFeed(const RawArticle& raw, std::string_view utf8_text);

}  // namespace newswire::pipeline
