#pragma once

#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// The first pipeline stage: turns a source item's bytes into articles. Chooses the decoder for
// the item's format and returns its result: the outer error rejects the whole item, each inner
// result is one article (or one article that could not be decoded). Only plain text exists yet;
// HTML, JSON Lines and RSS/Atom decoders plug in here by content sniffing. Pure and thread-safe;
// called by Pipeline::Process.
Result<std::vector<Result<Article>>> Decode(const RawArticle& raw);

}  // namespace newswire::pipeline
