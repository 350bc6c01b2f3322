#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Which decoder an item needs: the format its source declared (a content type), else sniffed
// from its leading bytes, never from its file name (feeds arrive as .xml, .rss, .txt or no
// extension at all). Pure and thread-safe.
namespace newswire::pipeline {

enum class InputFormat {
  kText,
  kHtml,
  kFeed,  // RSS 2.0, RSS 1.0 (RDF) or Atom
  kJson,
  kJsonLines,
};

// "text", "html", "feed", "json", "jsonl": for log lines and test names.
std::string_view InputFormatName(InputFormat format);

// Markup and JSON are recognized within this many leading bytes (after a UTF-8 byte order mark),
// so sniffing costs the same for a 1 KB and a 50 MB item.
inline constexpr std::size_t kSniffWindow = 64 * 1024;
// JSON Lines needs two whole lines, and one article per line can be long; still bounded.
inline constexpr std::size_t kJsonLinesSniffWindow = 1024 * 1024;

// The format of `bytes`, which must be UTF-8 or an ASCII-compatible charset (convert UTF-16/32
// first). In order, after a UTF-8 byte order mark and whitespace:
//   kFeed      the root element (after <?xml?>, comments and a doctype) is <rss>, <rdf:RDF>,
//              or <feed> with the Atom namespace; or the doctype has an internal subset
//              ("<!DOCTYPE x [ ... ]>", which HTML never has), so that the feed decoder refuses
//              its entity declarations rather than the markup passing as text
//   kHtml      <!DOCTYPE html>, a root <html>, <head> or <body>, or a leading '<' and a common
//              HTML tag (<p>, <div>, <title>, <meta>, <h1>, ...) in the window
//   kJsonLines at least two non-empty lines, each '{' ... '}', all complete lines in the window so
//   kJson      '{' followed by '"' (an object's first key, however the input ends, so a
//              truncated object is refused as JSON rather than published as text); or '{'
//              followed by '}', or '[' followed by a JSON value start, and the input ends with
//              the matching '}' or ']'
//   kText      everything else, which is also what a sniffing miss falls back to.
InputFormat SniffFormat(std::string_view bytes);

// A content type's MIME essence: the part before ';', without surrounding whitespace, as written.
std::string_view ContentTypeEssence(std::string_view content_type);

// The format a content type (RawArticle::content_type) declares, by its MIME essence (the part
// before ';', trimmed, any case) or a bare format name:
//   kText      text/plain, text
//   kHtml      text/html, application/xhtml+xml, html
//   kFeed      application/rss+xml, application/atom+xml, application/rdf+xml, feed
//   kJson      application/json, application/ld+json, json
//   kJsonLines application/x-ndjson, application/jsonl, application/jsonlines,
//              application/x-jsonlines, jsonl
// nullopt (sniff) for "", "auto" and everything else, on purpose including text/xml,
// application/xml and application/octet-stream: they say too little to pick a decoder.
std::optional<InputFormat> FormatFromContentType(std::string_view content_type);

// The value of a content type's `charset` parameter (name in any case, value quoted or not,
// quoted-pairs unescaped) as written, e.g. "windows-1252" from "text/html; Charset=windows-1252".
// nullopt when there is none or it is empty. Whether the charset exists is ToUtf8's business.
std::optional<std::string> CharsetFromContentType(std::string_view content_type);

}  // namespace newswire::pipeline
