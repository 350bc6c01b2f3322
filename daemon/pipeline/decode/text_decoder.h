#pragma once

#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// Decodes a plain-text article (tests/data/articles/*.txt): the first non-blank line, trimmed,
// is the title; every later non-blank line is one body paragraph, trimmed, and paragraphs are
// joined by "\n\n". Lines end in LF, CRLF or CR (or VT, FF, NEL, U+2028, U+2029).
//
// Whole-item failures (the outer error, stage decode):
//   kEmptyInput        no bytes, or only whitespace
//   kUnsupportedFormat a NUL byte: binary data (or UTF-16), not text
//   kInvalidUtf8       the first ill-formed sequence, with its byte offset in the input
// A leading UTF-8 byte order mark is dropped. On success the vector holds exactly one article,
// with format "text", origin and stats.input_bytes filled; the normalizer does the rest.
// Called by Decode (decoder.h); pure and thread-safe.
Result<std::vector<Result<Article>>> DecodeText(const RawArticle& raw);

}  // namespace newswire::pipeline
