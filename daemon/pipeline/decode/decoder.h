#pragma once

#include <cstddef>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"
#include "daemon/pipeline/decode/article_limit.h"
#include "daemon/pipeline/decode/json_decoder.h"

namespace newswire::pipeline {

// The first pipeline stage: turns a source item's bytes into articles. Pure and thread-safe;
// called by Pipeline::Process.
//
// 1. A UTF-16/32 byte order mark is honoured first, since sniffing needs ASCII-compatible bytes.
// 2. The format is the one raw.content_type declares (FormatFromContentType), else it is sniffed
//    from the content (format_sniffer.h): HTML, RSS/Atom, JSON, JSON Lines or plain text. When a
//    declared format's decoder rejects the item, the error says the content type declared it.
// 3. The bytes become UTF-8 (charset.h: the content type's charset parameter comes first, then
//    markup may declare its charset, undeclared non-UTF-8 is detected or refused as
//    kInvalidUtf8; an unknown charset name is ignored), and the format's decoder runs on them.
// 4. Every decoded article gets `charset` and adds the conversion's U+FFFD replacements to
//    stats.replaced_sequences.
//
// The outer error rejects the whole item, each inner result is one article (or one article that
// could not be decoded). `json_fields` says which JSON members hold which fields. An item of
// more than `max_articles` articles is refused whole (kTooLarge, article_limit.h).
Result<std::vector<Result<Article>>> Decode(const RawArticle& raw,
                                            const JsonFieldMapping& json_fields,
                                            std::size_t max_articles = kNoArticleLimit);

// The same with the default JsonFieldMapping.
Result<std::vector<Result<Article>>> Decode(const RawArticle& raw);

}  // namespace newswire::pipeline
