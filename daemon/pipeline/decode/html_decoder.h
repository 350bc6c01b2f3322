#pragma once

#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// HTML5 article pages: main-content extraction and metadata (JSON-LD, OpenGraph/Twitter meta,
// <title>, <html lang>, canonical link, <time datetime>). The text dumps' line rules then remove
// furniture paragraphs (RemoveFurniture) and an unmarked byline paragraph at the head (first two
// paragraphs) or foot (last one) of the text, whose people become `authors` (provenance
// "byline") unless the page declares its authors. `utf8_text` is the document already
// converted to UTF-8; `raw` gives the origin. One article per page. Pure, thread-safe.
Result<std::vector<Result<Article>>> DecodeHtml(const RawArticle& raw, std::string_view utf8_text);

}  // namespace newswire::pipeline
