#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"
#include "daemon/pipeline/decode/article_limit.h"

namespace newswire::pipeline {

// RSS 2.0 (also RSS 0.9x and 1.0/RDF items) and Atom feed files: one article per item/entry,
// item_index its position among them. Pure, thread-safe.
//
// Entities: pugixml never fetches anything and never expands DTD entity declarations; on top of
// that a document whose DOCTYPE declares entities (<!ENTITY ...>, the shape of both the
// "billion laughs" bomb and external-entity references such as SYSTEM "file:///etc/passwd") is
// rejected outright, because feeds have no use for them and silently dropping their references
// would change the text. Other references than the five predefined XML ones and numeric ones
// stay literal.
//
// RSS item: title, link (url), guid (metadata["guid"]), author ("mail (Name)" gives Name) or
//   dc:creator (authors), pubDate or dc:date (published_time), category (sections), and
//   content:encoded, else description (body, HTML through FragmentText). Channel language and title
//   become language and metadata["feed_title"].
// Atom entry: title, link[rel=alternate or none]/@href, id (metadata["guid"]), author/name (the
//   feed's authors when the entry has none), published (else updated), updated (modified_time),
//   category/@term, content, else summary (text, html or xhtml). xml:lang gives language.
// Dates are normalized to UTC by NormalizeDate; one it cannot read stays in
// metadata["published_raw"]. provenance is "feed" for each field set; format "rss" or "atom".
//
// Outer errors (stage decode): kUnsupportedFormat (not well-formed XML, with its byte offset;
// entity declarations; a root that is neither rss, rdf:RDF nor feed), kEmptyInput (no items).
// An item with neither title nor body is an inner kEmptyInput error; the others go on.
Result<std::vector<Result<Article>>> DecodeFeed(const RawArticle& raw, std::string_view utf8_text,
                                                std::size_t max_articles = kNoArticleLimit);

}  // namespace newswire::pipeline
