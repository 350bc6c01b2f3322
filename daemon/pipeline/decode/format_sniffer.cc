#include "daemon/pipeline/decode/format_sniffer.h"

#include <algorithm>
#include <array>
#include <string>

#include "daemon/pipeline/decode/markup_text.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

bool IsAsciiSpace(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\r' ||
         character == '\f' || character == '\v';
}

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::size_t SkipSpace(std::string_view text, std::size_t index) {
  while (index < text.size() && IsAsciiSpace(text[index])) ++index;
  return index;
}

bool IsNameCharacter(char character) {
  return (character >= 'a' && character <= 'z') || (character >= '0' && character <= '9') ||
         character == ':' || character == '-' || character == '_' || character == '.';
}

// Tag names only HTML uses; one in the window makes a document that starts with '<' HTML
// rather than some other XML.
constexpr std::array<std::string_view, 24> kHtmlOnlyTags{
    "p",      "div",    "br",  "span",  "a",  "title",   "meta",    "link",
    "script", "style",  "h1",  "h2",    "h3", "article", "section", "main",
    "header", "footer", "nav", "table", "ul", "ol",      "img",     "strong"};

// Markup: walks past the XML prolog (declaration, processing instructions, comments, doctype)
// to the root element and judges by it. A doctype with an internal subset ("<!DOCTYPE rss [
// <!ENTITY ...> ]>") is XML that HTML never has: it goes to the feed decoder, which refuses
// entity declarations (billion laughs, external entities) with a clear error instead of the
// markup being published as text.
InputFormat SniffMarkup(std::string_view window) {
  std::string lowered(window);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char character) {
    return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a')
                                                : character;
  });
  const std::string_view text = lowered;
  std::size_t index = SkipSpace(text, 0);
  while (index < text.size() && text[index] == '<') {
    const std::string_view rest = text.substr(index);
    std::size_t end = std::string_view::npos;
    if (rest.starts_with("<!--")) {
      end = text.find("-->", index + 4);
      if (end != std::string_view::npos) end += 3;
    } else if (rest.starts_with("<?")) {
      end = text.find("?>", index + 2);
      if (end != std::string_view::npos) end += 2;
    } else if (rest.starts_with("<!doctype")) {
      if (TrimAscii(rest.substr(9)).starts_with("html")) return InputFormat::kHtml;
      const std::size_t open_bracket = text.find('[', index);
      end = text.find('>', index);
      if (open_bracket < end) return InputFormat::kFeed;
      if (end != std::string_view::npos) end += 1;
    } else {
      break;  // the root element
    }
    if (end == std::string_view::npos) return InputFormat::kText;
    index = SkipSpace(text, end);
  }
  if (index >= text.size() || text[index] != '<') return InputFormat::kText;

  std::size_t name_end = index + 1;
  while (name_end < text.size() && IsNameCharacter(text[name_end])) ++name_end;
  const std::string_view root = text.substr(index + 1, name_end - index - 1);
  if (root == "rss" || root == "rdf:rdf") return InputFormat::kFeed;
  if (root == "feed") {
    const std::size_t tag_end = text.find('>', name_end);
    const std::string_view tag = text.substr(
        name_end, tag_end == std::string_view::npos ? std::string_view::npos : tag_end - name_end);
    if (tag.find("http://www.w3.org/2005/atom") != std::string_view::npos) {
      return InputFormat::kFeed;
    }
  }
  if (root == "html" || root == "head" || root == "body") return InputFormat::kHtml;
  return ContainsTag(text.substr(index), kHtmlOnlyTags) ? InputFormat::kHtml : InputFormat::kText;
}

// At least two non-empty lines, and every complete non-empty line in the window a '{'...'}'
// object. An incomplete last line (cut by the window or still without its end) is not judged.
bool LooksLikeJsonLines(std::string_view bytes) {
  // One object per line: the first line is a whole object, and whole objects are at least two and
  // at least half of the lines. A broken line among them must not make the whole file "one bad
  // JSON document": the JSON Lines decoder dead-letters that line alone and keeps the others.
  const std::string_view window = bytes.substr(0, kJsonLinesSniffWindow);
  std::size_t objects = 0;
  std::size_t lines = 0;
  bool first_is_object = false;
  std::size_t line_begin = 0;
  while (line_begin < window.size()) {
    std::size_t newline = window.find('\n', line_begin);
    // The input's last line counts; a line cut by the window does not.
    if (newline == std::string_view::npos && window.size() != bytes.size()) break;
    if (newline == std::string_view::npos) newline = window.size();
    const std::string_view line = TrimAscii(window.substr(line_begin, newline - line_begin));
    if (!line.empty()) {
      const bool object = line.starts_with('{') && line.ends_with('}');
      if (lines == 0) first_is_object = object;
      ++lines;
      if (object) ++objects;
    }
    line_begin = newline + 1;
  }
  return first_is_object && objects >= 2 && objects * 2 >= lines;
}

// One JSON document: the first structural character fits, and the input ends with its match
// (or it starts as an object's first key). Cheap on purpose; "[Updated] Headline" or
// "{Breaking} news" stay text.
bool LooksLikeJson(std::string_view bytes, std::size_t first) {
  const char open = bytes[first];
  const std::size_t next = SkipSpace(bytes.substr(0, first + 1 + kSniffWindow), first + 1);
  if (next >= bytes.size()) return false;
  const char after = bytes[next];
  const bool value_starts = open == '{'
                                ? (after == '"' || after == '}')
                                : (after == '{' || after == '[' || after == '"' || after == ']' ||
                                   after == '-' || (after >= '0' && after <= '9'));
  if (!value_starts) return false;
  // '{' then '"' opens a JSON object's first key; no article starts so. A file cut short (a
  // writer that died, a partial copy) is JSON that the JSON decoder refuses with where it broke,
  // not text whose title is markup.
  if (open == '{' && after == '"') return true;
  // Trailing whitespace is skipped only within a window, so 50 MB of it cannot cost much.
  std::size_t last = bytes.size();
  const std::size_t stop = bytes.size() > kSniffWindow ? bytes.size() - kSniffWindow : 0;
  while (last > stop && IsAsciiSpace(bytes[last - 1])) --last;
  if (last == 0 || last <= first) return false;
  return bytes[last - 1] == (open == '{' ? '}' : ']');
}

// Content types are ASCII tokens; comparing without a lowered copy keeps the per-item path
// free of allocations.
bool EqualsIgnoreAsciiCase(std::string_view left, std::string_view right) {
  return std::equal(left.begin(), left.end(), right.begin(), right.end(),
                    [](char a, char b) { return AsciiLower(a) == AsciiLower(b); });
}

struct DeclaredFormat {
  std::string_view content_type;
  InputFormat format;
};

// text/xml, application/xml and application/octet-stream are missing on purpose: they say
// too little to pick a decoder, and sniffing tells a feed from other XML.
constexpr std::array<DeclaredFormat, 17> kDeclaredFormats{{
    {"text/plain", InputFormat::kText},
    {"text", InputFormat::kText},
    {"text/html", InputFormat::kHtml},
    {"application/xhtml+xml", InputFormat::kHtml},
    {"html", InputFormat::kHtml},
    {"application/rss+xml", InputFormat::kFeed},
    {"application/atom+xml", InputFormat::kFeed},
    {"application/rdf+xml", InputFormat::kFeed},
    {"feed", InputFormat::kFeed},
    {"application/json", InputFormat::kJson},
    {"application/ld+json", InputFormat::kJson},
    {"json", InputFormat::kJson},
    {"application/x-ndjson", InputFormat::kJsonLines},
    {"application/jsonl", InputFormat::kJsonLines},
    {"application/jsonlines", InputFormat::kJsonLines},
    {"application/x-jsonlines", InputFormat::kJsonLines},
    {"jsonl", InputFormat::kJsonLines},
}};

// A parameter value after '=' at `index`: a token up to the next ';' (trimmed) or an RFC 9110
// quoted-string. Returns the index just past the value; appends the value to `value` only when
// it is given, so skipping other parameters allocates nothing.
std::size_t ParameterValue(std::string_view text, std::size_t index, std::string* value) {
  index = SkipSpace(text, index);
  if (index < text.size() && text[index] == '"') {
    for (++index; index < text.size() && text[index] != '"'; ++index) {
      if (text[index] == '\\' && index + 1 < text.size()) ++index;
      if (value != nullptr) value->push_back(text[index]);
    }
    const std::size_t end = text.find(';', index);
    return end == std::string_view::npos ? text.size() : end;
  }
  const std::size_t end = std::min(text.find(';', index), text.size());
  if (value != nullptr) value->append(TrimAscii(text.substr(index, end - index)));
  return end;
}

}  // namespace

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kText:
      return "text";
    case InputFormat::kHtml:
      return "html";
    case InputFormat::kFeed:
      return "feed";
    case InputFormat::kJson:
      return "json";
    case InputFormat::kJsonLines:
      return "jsonl";
  }
  return "text";
}

InputFormat SniffFormat(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const std::string_view window = bytes.substr(0, kSniffWindow);
  const std::size_t first = SkipSpace(window, 0);
  if (first >= window.size()) return InputFormat::kText;
  switch (bytes[first]) {
    case '<':
      return SniffMarkup(window.substr(first));
    case '{':
      if (LooksLikeJsonLines(bytes.substr(first))) return InputFormat::kJsonLines;
      [[fallthrough]];
    case '[':
      return LooksLikeJson(bytes, first) ? InputFormat::kJson : InputFormat::kText;
    default:
      return InputFormat::kText;
  }
}

std::string_view ContentTypeEssence(std::string_view content_type) {
  return TrimAscii(content_type.substr(0, content_type.find(';')));
}

std::optional<InputFormat> FormatFromContentType(std::string_view content_type) {
  const std::string_view essence = ContentTypeEssence(content_type);
  for (const auto& [name, format] : kDeclaredFormats) {
    if (EqualsIgnoreAsciiCase(essence, name)) return format;
  }
  return std::nullopt;
}

std::optional<std::string> CharsetFromContentType(std::string_view content_type) {
  std::size_t index = content_type.find(';');
  while (index < content_type.size()) {
    const std::size_t name_begin = index + 1;
    index = name_begin;
    while (index < content_type.size() && content_type[index] != '=' &&
           content_type[index] != ';') {
      ++index;
    }
    if (index >= content_type.size() || content_type[index] == ';') continue;  // no value
    const std::string_view name = TrimAscii(content_type.substr(name_begin, index - name_begin));
    if (!EqualsIgnoreAsciiCase(name, "charset")) {
      index = ParameterValue(content_type, index + 1, nullptr);
      continue;
    }
    std::string value;
    ParameterValue(content_type, index + 1, &value);
    if (value.empty()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace newswire::pipeline
