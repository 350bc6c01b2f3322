#include "daemon/pipeline/normalize/derived_title.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

// Written with a full stop inside sentences: titles, ranks, company forms, months. Compared as
// written, so "No." (number) is one and "no." (the word) is not.
constexpr auto kAbbreviations = std::to_array<std::string_view>(
    {"Mr",  "Mrs",  "Ms",  "Mx",   "Dr",   "Prof", "Sr",     "Jr",     "St",  "Mt",   "Ft",
     "Gen", "Col",  "Maj", "Lt",   "Sgt",  "Capt", "Cpl",    "Cmdr",   "Adm", "Gov",  "Sen",
     "Rep", "Rev",  "Hon", "Pres", "Supt", "Insp", "Det",    "Messrs", "Mme", "Mlle", "Msgr",
     "No",  "Nos",  "Nr",  "Inc",  "Ltd",  "Corp", "Co",     "Bros",   "Jan", "Feb",  "Apr",
     "Aug", "Sept", "Oct", "Nov",  "Dec",  "vs",   "approx", "al"});

// Marks that end a sentence where they stand, no space needed: the ideographic full stop, the
// full-width marks of Chinese and Japanese, the Devanagari danda and double danda.
bool IsFullStopWithoutSpace(char32_t code_point) {
  return code_point == 0x3002 || code_point == 0xFF01 || code_point == 0xFF1F ||
         code_point == 0xFF0E || code_point == 0xFF61 || code_point == 0x0964 ||
         code_point == 0x0965;
}

// Marks that end a sentence when a space and the start of another follow.
bool IsSentenceMark(char32_t code_point) {
  return code_point == '.' || code_point == '!' || code_point == '?' || code_point == 0x061F ||
         code_point == 0x06D4;
}

// Closing quotes and brackets that may follow a sentence's mark: `."`, `?)`, `。」`.
bool IsCloser(char32_t code_point) {
  switch (code_point) {
    case '"':
    case '\'':
    case ')':
    case ']':
    case 0x2019:  // ’
    case 0x201D:  // ”
    case 0x00BB:  // »
    case 0x203A:  // ›
    case 0x3009:  // 〉
    case 0x300B:  // 》
    case 0x300D:  // 」
    case 0x300F:  // 』
    case 0x3011:  // 】
    case 0xFF09:  // ）
      return true;
    default:
      return false;
  }
}

bool IsOpener(char32_t code_point) {
  switch (code_point) {
    case '"':
    case '\'':
    case '(':
    case '[':
    case 0x00A1:  // ¡
    case 0x00AB:  // «
    case 0x00BF:  // ¿
    case 0x2018:  // ‘
    case 0x201C:  // “
    case 0x201E:  // „
    case 0x2039:  // ‹
    case 0x300C:  // 「
    case 0x300E:  // 『
      return true;
    default:
      return false;
  }
}

// How a sentence may begin: an opening quote or bracket, or a letter that is not lower case
// (upper case, title case, or one of a script without case: Hebrew, Arabic, Devanagari, Han).
bool StartsSentence(char32_t code_point) {
  if (IsOpener(code_point)) return true;
  const auto character = static_cast<UChar32>(code_point);
  return u_isalpha(character) && !u_islower(character);
}

// Whether the '.' after `before` ends an abbreviation or initial rather than a sentence.
bool EndsAbbreviation(std::string_view before) {
  std::string_view word = before.substr(before.rfind(' ') + 1);
  while (!word.empty()) {
    std::size_t next = 0;
    if (!IsOpener(NextCodePoint(word, next))) break;
    word.remove_prefix(next);
  }
  if (word.empty()) return false;
  if (word.find('.') != std::string_view::npos) return true;  // "U.S.", "a.m.", "..."
  std::size_t next = 0;
  const char32_t first = NextCodePoint(word, next);
  if (next == word.size() && u_isalpha(static_cast<UChar32>(first))) return true;  // "J."
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), word) != kAbbreviations.end();
}

std::size_t PreviousCodePointBegin(std::string_view text, std::size_t at) {
  do {
    --at;
  } while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80);
  return at;
}

char32_t CodePointAt(std::string_view text, std::size_t at) { return NextCodePoint(text, at); }

// Whether a code point belongs to the character before it: a combining mark, a spacing vowel
// sign, a zero width joiner or an emoji modifier.
bool ExtendsCluster(char32_t code_point) {
  const auto grapheme_break = static_cast<UGraphemeClusterBreak>(
      u_getIntPropertyValue(static_cast<UChar32>(code_point), UCHAR_GRAPHEME_CLUSTER_BREAK));
  return grapheme_break == U_GCB_EXTEND || grapheme_break == U_GCB_SPACING_MARK ||
         grapheme_break == U_GCB_ZWJ;
}

// `at`, moved back to the start of the character (grapheme cluster, roughly) it falls inside.
std::size_t ClusterBegin(std::string_view text, std::size_t at) {
  while (at > 0 && at < text.size()) {
    const std::size_t previous = PreviousCodePointBegin(text, at);
    if (!ExtendsCluster(CodePointAt(text, at)) && CodePointAt(text, previous) != 0x200D) break;
    at = previous;
  }
  return at;
}

// What a cut may leave at the end and should not: spaces, clause punctuation, dashes, opening
// quotes and brackets.
bool IsDroppedAtCut(char32_t code_point) {
  return code_point == ' ' || code_point == ',' || code_point == ';' || code_point == ':' ||
         code_point == '-' || code_point == 0x2013 || code_point == 0x2014 ||
         code_point == 0x3001 || code_point == 0xFF0C ||
         (IsOpener(code_point) && code_point != '"' && code_point != '\'');
}

}  // namespace

std::string_view FirstSentence(std::string_view text) {
  const std::string_view paragraph = TrimSpace(text.substr(0, text.find('\n')));
  std::size_t index = 0;
  while (index < paragraph.size()) {
    const std::size_t mark_begin = index;
    const char32_t mark = NextCodePoint(paragraph, index);
    const bool without_space = IsFullStopWithoutSpace(mark);
    if (!without_space && !IsSentenceMark(mark)) continue;
    std::size_t end = index;
    while (end < paragraph.size()) {
      std::size_t next = end;
      if (!IsCloser(NextCodePoint(paragraph, next))) break;
      end = next;
    }
    if (without_space) return paragraph.substr(0, end);
    if (end >= paragraph.size() || paragraph[end] != ' ') continue;
    std::size_t next = end;
    while (next < paragraph.size() && paragraph[next] == ' ') ++next;
    if (next == paragraph.size() || !StartsSentence(CodePointAt(paragraph, next))) continue;
    if (mark == '.' && EndsAbbreviation(paragraph.substr(0, mark_begin))) continue;
    return paragraph.substr(0, end);
  }
  return paragraph;
}

std::string DeriveTitle(std::string_view body) {
  const std::string_view sentence = FirstSentence(body);
  std::size_t limit = 0;
  for (std::size_t count = 0; count < kMaxDerivedTitleCodePoints && limit < sentence.size();
       ++count) {
    NextCodePoint(sentence, limit);
  }
  if (limit >= sentence.size()) return std::string(sentence);

  std::size_t cut = ClusterBegin(sentence, limit);
  if (sentence[limit] == ' ') {
    cut = limit;
  } else if (const std::size_t space = sentence.rfind(' ', limit);
             space != std::string_view::npos &&
             CountCodePoints(sentence.substr(0, space)) >= kMaxDerivedTitleCodePoints / 2) {
    cut = space;
  }
  std::string_view head = sentence.substr(0, cut);
  while (!head.empty()) {
    const std::size_t last = PreviousCodePointBegin(head, head.size());
    if (!IsDroppedAtCut(CodePointAt(head, last))) break;
    head = head.substr(0, last);
  }
  if (head.empty()) head = sentence.substr(0, ClusterBegin(sentence, limit));
  std::string title(head);
  title.append(kEllipsis);
  return title;
}

}  // namespace newswire::pipeline
