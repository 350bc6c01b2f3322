#include "daemon/pipeline/decode/markup_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "daemon/pipeline/decode/html_extractor.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// HTML 4 names of U+00A0..U+00FF, in code point order.
constexpr std::array<std::string_view, 96> kLatin1EntityNames = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

struct NamedEntity {
  std::string_view name;
  char32_t code_point;
};

constexpr auto kOtherEntities = std::to_array<NamedEntity>({
    {"amp", U'&'},         {"lt", U'<'},          {"gt", U'>'},         {"quot", U'"'},
    {"apos", U'\''},       {"OElig", U'\u0152'},  {"oelig", U'\u0153'}, {"Scaron", U'\u0160'},
    {"scaron", U'\u0161'}, {"Yuml", U'\u0178'},   {"fnof", U'\u0192'},  {"circ", U'\u02C6'},
    {"tilde", U'\u02DC'},  {"ensp", U'\u2002'},   {"emsp", U'\u2003'},  {"thinsp", U'\u2009'},
    {"zwnj", U'\u200C'},   {"zwj", U'\u200D'},    {"lrm", U'\u200E'},   {"rlm", U'\u200F'},
    {"ndash", U'\u2013'},  {"mdash", U'\u2014'},  {"lsquo", U'\u2018'}, {"rsquo", U'\u2019'},
    {"sbquo", U'\u201A'},  {"ldquo", U'\u201C'},  {"rdquo", U'\u201D'}, {"bdquo", U'\u201E'},
    {"dagger", U'\u2020'}, {"Dagger", U'\u2021'}, {"bull", U'\u2022'},  {"hellip", U'\u2026'},
    {"permil", U'\u2030'}, {"prime", U'\u2032'},  {"Prime", U'\u2033'}, {"lsaquo", U'\u2039'},
    {"rsaquo", U'\u203A'}, {"oline", U'\u203E'},  {"frasl", U'\u2044'}, {"euro", U'\u20AC'},
    {"trade", U'\u2122'},  {"minus", U'\u2212'},  {"larr", U'\u2190'},  {"rarr", U'\u2192'},
});

// The longest name in the tables above; a longer run of letters cannot be one of them.
constexpr std::size_t kMaxEntityNameLength = 6;

void AppendUtf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::optional<char32_t> LookUpEntity(std::string_view name) {
  for (std::size_t index = 0; index < kLatin1EntityNames.size(); ++index) {
    if (kLatin1EntityNames[index] == name) return static_cast<char32_t>(0xA0 + index);
  }
  for (const NamedEntity& entity : kOtherEntities) {
    if (entity.name == name) return entity.code_point;
  }
  return std::nullopt;
}

// Decodes the character reference at text[at] == '&' into `out` and returns its length, or 0
// when there is none (the '&' is then literal). Digits are bounded so a long run cannot
// overflow.
std::size_t DecodeReferenceAt(std::string_view text, std::size_t at, std::string& out) {
  std::size_t index = at + 1;
  if (index < text.size() && text[index] == '#') {
    ++index;
    const bool hex = index < text.size() && (text[index] == 'x' || text[index] == 'X');
    if (hex) ++index;
    const std::size_t digits_begin = index;
    std::uint32_t value = 0;
    while (index < text.size()) {
      const char c = text[index];
      int digit = -1;
      if (IsAsciiDigit(c)) {
        digit = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      }
      if (digit < 0) break;
      // Saturate above U+10FFFF: the value is invalid either way.
      value = std::min<std::uint32_t>(value * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit),
                                      0x110000);
      ++index;
    }
    if (index == digits_begin) return 0;
    if (index < text.size() && text[index] == ';') ++index;
    const bool valid = value != 0 && value < 0x110000 && (value < 0xD800 || value > 0xDFFF);
    AppendUtf8(out, valid ? static_cast<char32_t>(value) : U'\uFFFD');
    return index - at;
  }
  const std::size_t name_begin = index;
  while (index < text.size() && index - name_begin <= kMaxEntityNameLength &&
         (IsAsciiAlpha(text[index]) || IsAsciiDigit(text[index]))) {
    ++index;
  }
  if (index == name_begin || index >= text.size() || text[index] != ';') return 0;
  const auto code_point = LookUpEntity(text.substr(name_begin, index - name_begin));
  if (!code_point) return 0;
  AppendUtf8(out, *code_point);
  return index + 1 - at;
}

// Elements whose start or end means a new line of text.
bool IsBlockElement(std::string_view name) {
  static constexpr auto kBlockElements = std::to_array<std::string_view>({
      "address", "article",    "aside",   "blockquote", "br", "dd",   "div", "dl",
      "dt",      "figcaption", "figure",  "footer",     "h1", "h2",   "h3",  "h4",
      "h5",      "h6",         "header",  "hr",         "li", "main", "nav", "ol",
      "p",       "pre",        "section", "table",      "td", "th",   "tr",  "ul",
  });
  for (std::string_view block : kBlockElements) {
    if (block == name) return true;
  }
  return false;
}

// Elements whose content is not text a reader sees.
bool IsHiddenElement(std::string_view name) {
  return name == "script" || name == "style" || name == "template" || name == "noscript";
}

// The position just past the '>' that ends the tag starting at text[at] == '<', skipping quoted
// attribute values; npos when the tag never ends.
std::size_t FindTagEnd(std::string_view text, std::size_t at) {
  char quote = 0;
  for (std::size_t index = at + 1; index < text.size(); ++index) {
    const char c = text[index];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return index + 1;
    }
  }
  return std::string_view::npos;
}

// The position of the first "</name" at or after `from`, ignoring case; npos when there is none.
// Each candidate "</" is checked once, so the search is linear.
std::size_t FindEndTag(std::string_view text, std::size_t from, std::string_view name) {
  for (std::size_t at = text.find("</", from); at != std::string_view::npos;
       at = text.find("</", at + 2)) {
    std::size_t index = at + 2;
    std::size_t matched = 0;
    while (matched < name.size() && index < text.size() &&
           AsciiLower(text[index]) == name[matched]) {
      ++index;
      ++matched;
    }
    if (matched == name.size()) return at;
  }
  return std::string_view::npos;
}

// Parses "YYYY-MM-DD..." style digits: exactly `count` of them at text[index].
std::optional<int> ReadDigits(std::string_view text, std::size_t& index, std::size_t count) {
  if (index + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t offset = 0; offset < count; ++offset) {
    const char c = text[index + offset];
    if (!IsAsciiDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  index += count;
  return value;
}

// One or more digits, at most `max_count`.
std::optional<int> ReadNumber(std::string_view text, std::size_t& index, std::size_t max_count) {
  const std::size_t begin = index;
  int value = 0;
  while (index < text.size() && index - begin < max_count && IsAsciiDigit(text[index])) {
    value = value * 10 + (text[index] - '0');
    ++index;
  }
  if (index == begin) return std::nullopt;
  return value;
}

void SkipSpaces(std::string_view text, std::size_t& index) {
  while (index < text.size() && IsAsciiSpace(text[index])) ++index;
}

bool IsLeapYear(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(std::int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const int month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

struct DateTime {
  std::int64_t year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int offset_minutes = 0;  // east of UTC
  bool has_seconds = false;
};

// Reads "HH:MM" or "HH:MM:SS" at `index` into `time`, the clock part both date forms share.
// False when the text there is not one.
bool ReadClockTime(std::string_view text, std::size_t& index, DateTime& time) {
  const auto hour = ReadDigits(text, index, 2);
  if (!hour || index >= text.size() || text[index++] != ':') return false;
  const auto minute = ReadDigits(text, index, 2);
  if (!minute) return false;
  time.hour = *hour;
  time.minute = *minute;
  if (index < text.size() && text[index] == ':') {
    ++index;
    const auto second = ReadDigits(text, index, 2);
    if (!second) return false;
    time.second = *second;
    time.has_seconds = true;
  }
  return true;
}

std::optional<std::string> FormatUtc(const DateTime& local) {
  if (local.month < 1 || local.month > 12 || local.day < 1 ||
      local.day > DaysInMonth(local.year, local.month) || local.hour > 23 || local.minute > 59 ||
      local.second > 60) {
    return std::nullopt;
  }
  const std::int64_t seconds = DaysFromCivil(local.year, local.month, local.day) * 86400 +
                               local.hour * 3600 + local.minute * 60 + std::min(local.second, 59) -
                               local.offset_minutes * 60;
  const std::int64_t days = (seconds >= 0 ? seconds : seconds - 86399) / 86400;
  const std::int64_t second_of_day = seconds - days * 86400;
  const CivilDate date = CivilFromDays(days);
  if (date.year < 0 || date.year > 9999) return std::nullopt;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", date.year, date.month, date.day,
                     second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
}

// "+05:30", "-0700", "+05"; `index` is at the sign.
std::optional<int> ReadNumericOffset(std::string_view text, std::size_t& index) {
  const int sign = text[index] == '-' ? -1 : 1;
  ++index;
  const auto hours = ReadDigits(text, index, 2);
  if (!hours) return std::nullopt;
  int minutes = 0;
  if (index < text.size() && text[index] == ':') ++index;
  if (index < text.size()) {
    const auto read = ReadDigits(text, index, 2);
    if (!read) return std::nullopt;
    minutes = *read;
  }
  if (*hours > 23 || minutes > 59) return std::nullopt;
  return sign * (*hours * 60 + minutes);
}

std::optional<std::string> ParseRfc3339(std::string_view text) {
  DateTime time;
  std::size_t index = 0;
  const auto year = ReadDigits(text, index, 4);
  if (!year || index >= text.size() || text[index++] != '-') return std::nullopt;
  const auto month = ReadDigits(text, index, 2);
  if (!month || index >= text.size() || text[index++] != '-') return std::nullopt;
  const auto day = ReadDigits(text, index, 2);
  if (!day) return std::nullopt;
  time.year = *year;
  time.month = *month;
  time.day = *day;
  if (index < text.size()) {
    if (text[index] != 'T' && text[index] != 't' && text[index] != ' ') return std::nullopt;
    ++index;
    if (!ReadClockTime(text, index, time)) return std::nullopt;
    if (time.has_seconds) {
      if (index < text.size() && (text[index] == '.' || text[index] == ',')) {
        ++index;
        const std::size_t fraction_begin = index;
        while (index < text.size() && IsAsciiDigit(text[index])) ++index;
        if (index == fraction_begin) return std::nullopt;
      }
    }
    if (index < text.size() && (text[index] == 'Z' || text[index] == 'z')) {
      ++index;
    } else if (index < text.size() && (text[index] == '+' || text[index] == '-')) {
      const auto offset = ReadNumericOffset(text, index);
      if (!offset) return std::nullopt;
      time.offset_minutes = *offset;
    }
  }
  if (index != text.size()) return std::nullopt;
  return FormatUtc(time);
}

std::optional<std::string> ParseRfc822(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  DateTime time;
  std::size_t index = 0;
  // An optional day name ("Tue," or "Tuesday,"); it is not checked against the date.
  if (index < text.size() && IsAsciiAlpha(text[index])) {
    while (index < text.size() && IsAsciiAlpha(text[index])) ++index;
    if (index < text.size() && text[index] == ',') ++index;
    SkipSpaces(text, index);
  }
  const auto day = ReadNumber(text, index, 2);
  if (!day) return std::nullopt;
  SkipSpaces(text, index);
  const std::size_t month_begin = index;
  while (index < text.size() && IsAsciiAlpha(text[index])) ++index;
  if (index - month_begin < 3) return std::nullopt;
  std::string month_name;
  for (std::size_t at = month_begin; at < month_begin + 3; ++at) {
    month_name.push_back(AsciiLower(text[at]));
  }
  for (std::size_t month = 0; month < kMonths.size(); ++month) {
    if (kMonths[month] == month_name) time.month = static_cast<int>(month + 1);
  }
  if (time.month == 0) return std::nullopt;
  SkipSpaces(text, index);
  const std::size_t year_begin = index;
  const auto year = ReadNumber(text, index, 4);
  if (!year) return std::nullopt;
  time.year = *year;
  // RFC 2822 section 4.3: two-digit years below 50 are 20xx, the others 19xx.
  if (index - year_begin == 2) time.year += *year < 50 ? 2000 : 1900;
  time.day = *day;
  SkipSpaces(text, index);
  if (index < text.size()) {
    if (!ReadClockTime(text, index, time)) return std::nullopt;
    SkipSpaces(text, index);
    if (index < text.size() && (text[index] == '+' || text[index] == '-')) {
      const auto offset = ReadNumericOffset(text, index);
      if (!offset) return std::nullopt;
      time.offset_minutes = *offset;
    } else if (index < text.size()) {
      static constexpr auto kZones = std::to_array<std::pair<std::string_view, int>>({
          {"ut", 0},
          {"utc", 0},
          {"gmt", 0},
          {"z", 0},
          {"est", -5 * 60},
          {"edt", -4 * 60},
          {"cst", -6 * 60},
          {"cdt", -5 * 60},
          {"mst", -7 * 60},
          {"mdt", -6 * 60},
          {"pst", -8 * 60},
          {"pdt", -7 * 60},
      });
      const std::size_t zone_begin = index;
      while (index < text.size() && IsAsciiAlpha(text[index])) ++index;
      std::string zone;
      for (std::size_t at = zone_begin; at < index; ++at) zone.push_back(AsciiLower(text[at]));
      bool known = false;
      for (const auto& [name, offset] : kZones) {
        if (name == zone) {
          time.offset_minutes = offset;
          known = true;
        }
      }
      if (!known) return std::nullopt;
    }
    SkipSpaces(text, index);
  }
  if (index != text.size()) return std::nullopt;
  return FormatUtc(time);
}

// Block-level elements: markup with one of these is better read by the HTML5 parser than by
// the simple stripper (paragraphs, lists, tables, furniture inside).
constexpr std::array<std::string_view, 24> kBlockTags = {
    "p",  "div",   "br",         "li",      "ul",      "ol",  "h1",     "h2",
    "h3", "h4",    "h5",         "h6",      "hr",      "dl",  "dt",     "dd",
    "tr", "table", "blockquote", "section", "article", "pre", "figure", "aside"};

bool IsTagNameCharacter(char c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == ':' || c == '-' || c == '_' || c == '.';
}

}  // namespace

std::string DecodeHtmlEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t index = 0; index < text.size();) {
    if (text[index] == '&') {
      if (const std::size_t length = DecodeReferenceAt(text, index, out); length > 0) {
        index += length;
        continue;
      }
    }
    out.push_back(text[index++]);
  }
  return out;
}

std::string MarkupToText(std::string_view markup) {
  std::string out;
  out.reserve(markup.size());
  std::size_t index = 0;
  while (index < markup.size()) {
    const char c = markup[index];
    if (c == '&') {
      if (const std::size_t length = DecodeReferenceAt(markup, index, out); length > 0) {
        index += length;
        continue;
      }
      out.push_back(c);
      ++index;
      continue;
    }
    if (c != '<' || index + 1 >= markup.size()) {
      out.push_back(c);
      ++index;
      continue;
    }
    const std::string_view rest = markup.substr(index);
    if (rest.starts_with("<!--")) {
      const std::size_t end = markup.find("-->", index + 4);
      index = end == std::string_view::npos ? markup.size() : end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const std::size_t end = markup.find("]]>", index + 9);
      const std::size_t stop = end == std::string_view::npos ? markup.size() : end;
      out.append(markup.substr(index + 9, stop - index - 9));
      index = end == std::string_view::npos ? markup.size() : end + 3;
      continue;
    }
    const char next = markup[index + 1];
    const bool closing = next == '/';
    if (!IsAsciiAlpha(closing ? (index + 2 < markup.size() ? markup[index + 2] : ' ') : next) &&
        next != '!' && next != '?') {
      out.push_back(c);  // "a < b": not a tag
      ++index;
      continue;
    }
    const std::size_t tag_end = FindTagEnd(markup, index);
    if (tag_end == std::string_view::npos) break;  // a truncated tag: drop the rest
    std::size_t name_index = index + (closing ? 2 : 1);
    std::string name;
    while (name_index < tag_end &&
           (IsAsciiAlpha(markup[name_index]) || IsAsciiDigit(markup[name_index]))) {
      name.push_back(AsciiLower(markup[name_index++]));
    }
    index = tag_end;
    if (!closing && IsHiddenElement(name) && markup[tag_end - 2] != '/') {
      const std::size_t end_tag = FindEndTag(markup, index, name);
      if (end_tag == std::string_view::npos) break;
      const std::size_t end_tag_end = FindTagEnd(markup, end_tag);
      index = end_tag_end == std::string_view::npos ? markup.size() : end_tag_end;
      continue;
    }
    if (IsBlockElement(name)) out.push_back('\n');
  }
  return out;
}

std::optional<std::string> NormalizeDate(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  if (text.size() >= 10 && IsAsciiDigit(text[0]) && text[4] == '-') return ParseRfc3339(text);
  return ParseRfc822(text);
}

std::string FragmentText(std::string_view markup, std::size_t& boilerplate_characters) {
  if (!ContainsTag(markup, kBlockTags)) return MarkupToText(markup);
  HtmlExtraction extraction = ExtractHtmlFragment(markup);
  boilerplate_characters += extraction.boilerplate_characters;
  std::string text;
  for (const std::string& paragraph : extraction.paragraphs) {
    if (!text.empty()) text.push_back('\n');
    text.append(paragraph);
  }
  return text;
}

bool ContainsTag(std::string_view markup, std::span<const std::string_view> lowercase_names) {
  for (std::size_t at = markup.find('<'); at != std::string_view::npos;
       at = markup.find('<', at + 1)) {
    std::size_t name_begin = at + 1;
    if (name_begin < markup.size() && markup[name_begin] == '/') ++name_begin;
    std::size_t name_end = name_begin;
    while (name_end < markup.size() && IsTagNameCharacter(markup[name_end])) ++name_end;
    // The name must end the tag's name: "<pre" is not "<p", "<a:b" (XML prefix) is not "<a".
    if (name_end == name_begin || name_end == markup.size()) continue;
    const char after = markup[name_end];
    if (after != '>' && after != '/' && after != ' ' && after != '\t' && after != '\n' &&
        after != '\r' && after != '\f') {
      continue;
    }
    const std::string_view name = markup.substr(name_begin, name_end - name_begin);
    for (const std::string_view wanted : lowercase_names) {
      if (wanted.size() == name.size() &&
          std::equal(name.begin(), name.end(), wanted.begin(),
                     [](char have, char want) { return AsciiLower(have) == want; })) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace newswire::pipeline
