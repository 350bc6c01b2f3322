#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"

namespace newswire::pipeline {

// What one or more schema.org JSON-LD blocks say about an article. Empty strings and vectors
// mean "not said". Shared by the text decoder (blocks pasted into plain-text dumps) and the HTML
// decoder (<script type="application/ld+json">).
struct JsonLdInfo {
  std::string headline;
  std::vector<Person> authors;  // Person or Organization names; role from jobTitle
  std::string publisher;
  std::string published_time;  // "YYYY-MM-DDTHH:MM:SSZ", see NormalizeDate in markup_text.h
  std::string modified_time;   // same format
  std::string description;
  std::vector<QuestionAnswer> faq;  // from FAQPage mainEntity Question/acceptedAnswer
  std::vector<std::string> types;   // every @type seen on a top-level or @graph node
};

// Parses one JSON-LD document: an object, an array of objects, or an object with @graph. Article
// fields come from the first node whose @type is an article type (NewsArticle, Article,
// BlogPosting, Report, ... : any type ending in "Article" or "Posting"), falling back to WebPage;
// FAQ pairs from FAQPage nodes. Typographic quotes used as string delimiters (“…”, as word
// processors and some CMS exports turn them) are accepted, see RepairJsonQuotes. Dates that
// NormalizeDate cannot read are left out rather than passed on.
// Fails (stage decode, kInvalidArgument) when the text is not JSON even after quote repair or
// holds no object. Pure; parses iteratively, so hostile nesting cannot overflow the stack.
Result<JsonLdInfo> ParseJsonLd(std::string_view json);

// `json` with typographic double quotes (U+201C, U+201D, U+201E, U+201F, U+2033) that delimit
// strings replaced by ASCII '"'. Outside a string any of them opens one; inside a string opened
// by a typographic quote, one closes it only when the next non-space character is ':', ',', '}',
// ']' or the end, so a quotation inside a value (“He said “no” twice”) stays text. Inside such a
// string a plain '"' is escaped and raw control characters become JSON escapes. Strings opened
// by '"' follow plain JSON rules. Returns the text unchanged when it has no typographic quotes.
std::string RepairJsonQuotes(std::string_view json);

// The byte length of the JSON object or array that starts at json[0] ('{' or '['), balancing
// brackets outside strings (strings as RepairJsonQuotes reads them), or nullopt when it does not
// close within `json`.
std::optional<std::size_t> FindJsonValueEnd(std::string_view json);

}  // namespace newswire::pipeline
