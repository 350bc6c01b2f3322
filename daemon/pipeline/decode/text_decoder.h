#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// Decodes a plain-text article dump (tests/data/articles/*.txt). Lines end in LF, CRLF or CR (or
// VT, FF, NEL, U+2028, U+2029); each is trimmed and blank lines are dropped. Then, by general
// line rules (no rule names a site), the dump is split into content and metadata:
//   - schema.org JSON-LD blocks (a line starting '{' or '[' whose balanced value holds "@context"
//     or "@type", typographic quotes tolerated) are removed and parsed (ParseJsonLd);
//   - furniture labels ("Full Transcript", "Advertisement", "0 comments") are removed anywhere;
//   - the run of end-of-page furniture at the end (related links, comment forms, calls to
//     comment or subscribe, ad-blocker notices, paywall and "read more" notices) is removed;
//   - at the head: a breadcrumb line ("Home » world » ...") gives `sections`, the first
//     title-like line is the title (a long prose first line means the dump has no title), a
//     byline ("by James Carter Senior News Editor") gives `authors`, and a heading-like line
//     followed by prose is the subtitle;
//   - JSON-LD beats the text: its headline becomes the title (the dump's own title line is kept
//     as metadata "page_title" when it differs, and a line repeating the headline is dropped),
//     its authors, publisher, dates (ISO 8601 UTC), description (metadata "description") and
//     FAQ pairs are taken; without JSON-LD FAQ, "Q: ..." / "A: .." line pairs fill `faq`.
// Every other line is one body paragraph, and paragraphs are joined by "\n\n". `provenance`
// says where each metadata field came from ("text", "byline", "json-ld", "heuristic");
// stats.boilerplate_characters counts the code points removed as furniture, breadcrumbs and
// JSON-LD; flags are set for paywall and truncation notices and for a kept FAQ.
//
// Whole-item failures (the outer error, stage decode):
//   kEmptyInput        no bytes, or only whitespace
//   kUnsupportedFormat a NUL byte: binary data (or UTF-16), not text
//   kInvalidUtf8       the first ill-formed sequence, with its byte offset in the input
// A leading UTF-8 byte order mark is dropped. On success the vector holds exactly one article,
// with format "text", origin and stats.input_bytes filled; the normalizer does the rest.
// Called by Decode (decoder.h); pure and thread-safe.
Result<std::vector<Result<Article>>> DecodeText(const RawArticle& raw);

// The line rules DecodeText applies, exposed for tests and for decoders of other line-oriented
// text. Each takes one trimmed line.

// What kind of page furniture a line is.
enum class Furniture {
  kNone,     // article text (as far as a line rule can tell)
  kLabel,    // a label that is never article text, removed wherever it stands: "Full Transcript"
  kTrailer,  // end-of-page furniture, removed only in the run at the end: "Leave a Comment"
  kPaywall,  // a subscribers-only notice (a trailer that also sets flags.paywall)
  kTeaser,   // "Read more", "[...]": a trailer that also sets flags.truncated
};
Furniture ClassifyFurniture(std::string_view line);

// The furniture passes of DecodeText, shared with the decoders whose bodies come from HTML
// fragments (feed items, JSON articles): labels are removed wherever they stand, then the run of
// trailers at the end (setting flags.paywall and flags.truncated), then a call to comment that
// ends the last line; a last line ending in "…" sets flags.truncated. Removed code points are
// added to article.stats.boilerplate_characters. `lines` are trimmed and not blank. Returns the
// site a "Discover more from X" line names, or "".
std::string RemoveFurnitureLines(std::vector<std::string_view>& lines, Article& article);

// The lines of a body separated by '\n', trimmed, blank ones left out; views into `body`.
std::vector<std::string_view> BodyLines(std::string_view body);

// `paragraphs` joined by "\n\n", as DecodeText writes bodies.
std::string JoinParagraphs(const std::vector<std::string_view>& paragraphs);

// RemoveFurnitureLines on a body whose lines are separated by '\n'; the body keeps its other
// lines, trimmed and joined by "\n\n" (one paragraph each, as DecodeText writes bodies).
void RemoveFurniture(std::string& body, Article& article);

// The segments of a breadcrumb line ("Home » world » Title" gives {"Home", "world", "Title"}),
// or an empty vector when the line is not one.
std::vector<std::string_view> ParseBreadcrumb(std::string_view line);

// The people of a byline: "by James Carter Senior News Editor" gives {"James Carter", "Senior
// News Editor"}, "By Chief Editor" {"", "Chief Editor"}, "By Ann Lee and Bo Li" two people.
// The role starts at the first word of a job title (Senior, Editor, Correspondent, ...); a last
// one-word comma piece ("By Ann Lee, Reuters") is an agency or place and left out. nullopt when
// the line is not a byline (no "by", too long, ending in '.', or words that cannot be a name:
// lower case, digits, a lone day or month name as in "By Tuesday"). Also used by DecodeHtml on
// the paragraphs at the head and foot of a page's text.
std::optional<std::vector<Person>> ParseByline(std::string_view line);

}  // namespace newswire::pipeline
