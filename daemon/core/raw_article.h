#pragma once

#include <string>

#include "daemon/core/origin.h"

namespace newswire {

// What a source hands to the pipeline: the item's bytes as they arrived, and where they came
// from. The pipeline reads it (const&) and never keeps a reference past Process().
struct RawArticle {
  std::string bytes;
  Origin origin;
};

}  // namespace newswire
