#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <limits>

#include "daemon/core/error.h"

// How many articles one item may hold (limits.max_articles_per_item): every event of an item is
// held until Kafka confirmed the last, so a feed of 100,000 items would hold them all. The
// multi-article decoders (feed, JSON array, JSON Lines) count first and refuse before building
// a single article, so the memory an item costs stays bounded by its size.
namespace newswire::pipeline {

inline constexpr std::size_t kNoArticleLimit = std::numeric_limits<std::size_t>::max();

// The outer error for an item of `count` articles, over `limit`.
inline tl::unexpected<Error> TooManyArticles(std::size_t count, std::size_t limit) {
  return MakeError(Stage::kDecode, ErrorCode::kTooLarge,
                   fmt::format("the item holds {} articles, over limits.max_articles_per_item "
                               "({}); split it or raise the limit",
                               count, limit));
}

}  // namespace newswire::pipeline
