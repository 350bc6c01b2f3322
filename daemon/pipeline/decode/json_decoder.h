#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"
#include "daemon/pipeline/decode/article_limit.h"

namespace newswire::pipeline {

// Which top-level JSON members hold which article field; for each field the first name present
// with a usable value wins.
struct JsonFieldMapping {
  std::vector<std::string> title = {"title", "headline"};
  std::vector<std::string> body = {"body", "text", "content", "articleBody"};
  std::vector<std::string> url = {"url"};
  std::vector<std::string> author = {"author"};
  std::vector<std::string> published = {"published", "datePublished"};
  std::vector<std::string> language = {"language"};
};

// How one JSON object becomes an article (both decoders):
// - title, url, language: strings; body: a string, or an array of strings (one paragraph each),
//   HTML turned into text (FragmentText: block markup through the HTML5 parser, furniture inside
//   it dropped and counted as boilerplate) and character references decoded;
// - author: a string, an object with a string "name", or an array of those;
// - published: a date NormalizeDate understands becomes published_time in UTC; otherwise
//   published_time stays empty and the text is kept in metadata["published_raw"];
// - provenance is "json" for every field that was set;
// - duplicate keys: the FIRST occurrence wins (what RapidJSON's FindMember returns). Rejecting
//   the object would lose articles over a harmless CMS quirk, and first-wins is deterministic;
// - an object with neither title nor body is an inner error (kEmptyInput).
// Numbers, booleans and nested objects in a mapped field are ignored, not errors.
//
// Nesting deeper than 64 levels is refused before parsing (outer kTooLarge for a whole
// document, an inner error for a line), so hostile input cannot exhaust memory or stack.

// A JSON document: one article object, or an array whose elements are each one article
// (item_index = element index; an element that is not an object is an inner error). format is
// "json". Outer errors (stage decode): kEmptyInput (blank input or an empty array),
// kUnsupportedFormat (invalid or truncated JSON, with the byte offset; or a top level that is
// neither object nor array), kTooLarge (nesting too deep, or an array of more than
// `max_articles` elements, refused before any is read). Pure, thread-safe.
Result<std::vector<Result<Article>>> DecodeJson(const RawArticle& raw, std::string_view utf8_text,
                                                const JsonFieldMapping& mapping,
                                                std::size_t max_articles = kNoArticleLimit);

// JSON Lines: one article object per non-blank line, LF or CRLF; item_index is the 0-based line
// index (line number - 1) and format "jsonl". A bad line is an inner error naming its line
// number; the others go on. The outer errors are kEmptyInput (no non-blank line) and
// kTooLarge (more than `max_articles` non-blank lines, counted before any is parsed).
Result<std::vector<Result<Article>>> DecodeJsonLines(const RawArticle& raw,
                                                     std::string_view utf8_text,
                                                     const JsonFieldMapping& mapping,
                                                     std::size_t max_articles = kNoArticleLimit);

}  // namespace newswire::pipeline
