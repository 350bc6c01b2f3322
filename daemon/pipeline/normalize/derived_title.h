#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace newswire::pipeline {

// A derived title longer than this many code points is cut at a word boundary, and "…" added.
inline constexpr std::size_t kMaxDerivedTitleCodePoints = 110;

// The first sentence of `text`, trimmed: it ends with the first paragraph (at the first line
// break), or earlier
//   - right after an ideographic or full-width full stop, exclamation or question mark
//     ("。", "！", "？") or a Devanagari danda ("।"), and the closing quotes or brackets after it;
//   - after ".", "!" or "?" (or the Arabic question mark, the Urdu full stop) and the closing
//     quotes or brackets after it, when a space follows and then a letter that is not lower case
//     (upper case, or a script without case) or an opening quote or bracket; not after a '.'
//     that ends a single initial ("J. Smith"), a word with dots ("U.S.", "a.m.", "...") or a
//     common abbreviation ("Mr.", "Dr.", "Gen.", "Inc.", "Jan.").
// Pure; `text` is UTF-8 (a normalized body).
std::string_view FirstSentence(std::string_view text);

// The title Normalize gives an article without one (Article::derived_title): FirstSentence of
// the body, cut when longer than kMaxDerivedTitleCodePoints at the last space within the limit
// (or, in text without spaces such as Chinese, at the limit, never inside a combining sequence),
// without the punctuation the cut leaves at its end, and "…" appended. "" for an empty body.
std::string DeriveTitle(std::string_view body);

}  // namespace newswire::pipeline
