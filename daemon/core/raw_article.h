#pragma once

#include <string>

#include "daemon/core/origin.h"

namespace newswire {

// What a source hands to the pipeline: the item's bytes as they arrived, and where they came
// from. The pipeline reads it (const&) and never keeps a reference past Process().
struct RawArticle {
  std::string bytes;
  Origin origin;
  // What the source declared the bytes to be: a MIME type with optional parameters (a Kafka
  // record's content-type header, "text/html; charset=windows-1252") or a format name (text,
  // html, feed, json, jsonl, from a source's config). "" = unknown: the decoder sniffs.
  std::string content_type;
};

}  // namespace newswire
