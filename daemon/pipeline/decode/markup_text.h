#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// Text helpers shared by the JSON and feed decoders: both carry HTML fragments inside string
// fields and dates in the formats feeds and CMSs write. Pure, linear in their input, no globals
// beyond constant tables.
namespace newswire::pipeline {

// The text of an HTML fragment that is all article (a feed item's description or
// content:encoded, a JSON article's body), paragraphs separated by line breaks. A fragment with
// block-level markup (<p>, <div>, <br>, <li>, headings, tables, ...) goes through the HTML5
// parser and ExtractHtmlFragment, which also drops furniture inside it; the code points dropped
// are added to `boilerplate_characters`. Text with inline markup only, or none, goes through
// MarkupToText, which keeps its line breaks as they are.
std::string FragmentText(std::string_view markup, std::size_t& boilerplate_characters);

// The text of inline markup, simply: tags and comments are removed, the contents of script,
// style, template and noscript elements are dropped, block-level elements and <br> become line
// breaks (the normalizer turns those into paragraphs), and character references are decoded.
// A '<' that does not start a tag ("a < b") is kept. An unterminated tag or comment drops the
// rest of the input. Not an HTML parser: FragmentText uses it only where no block markup is.
std::string MarkupToText(std::string_view markup);

// Whether `markup` holds a start or end tag ("<p>", "</P>", "<br/>", "<div class=x>") whose name
// is one of `lowercase_names`, compared without regard to ASCII case. A name must be the whole
// tag name: "<pre>" is not "p", "<a:b>" (an XML prefix) is not "a".
bool ContainsTag(std::string_view markup, std::span<const std::string_view> lowercase_names);

// `text` with HTML character references decoded: decimal and hexadecimal ones, and the named
// ones of HTML 4 Latin-1 plus common typography (&amp; &nbsp; &eacute; &mdash; &rsquo; ...).
// Named references need their ';'. Unknown references stay as they are; a numeric reference to
// NUL, a surrogate or beyond U+10FFFF becomes U+FFFD.
std::string DecodeHtmlEntities(std::string_view text);

// A date as "YYYY-MM-DDTHH:MM:SSZ" in UTC, from
//   RFC 3339 / ISO 8601: "2003-06-10T04:00:00Z", "2003-06-10T09:30:00.5+05:30",
//     "2003-06-10 04:00:00", "2003-06-10" (midnight); no offset means UTC;
//   RFC 822 / RFC 2822: "Tue, 10 Jun 2003 04:00:00 GMT", "10 Jun 03 04:00 -0700", with the
//     zones UT, GMT, UTC, Z, EST/EDT, CST/CDT, MST/MDT, PST/PDT and +hhmm; no zone means UTC.
// Fractional seconds are dropped, a leap second becomes :59. nullopt when the text is none of
// these, names an impossible date or time, or lands outside years 0000..9999.
std::optional<std::string> NormalizeDate(std::string_view text);

}  // namespace newswire::pipeline
