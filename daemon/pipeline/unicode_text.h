#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/ascii.h"

// UTF-8 and Unicode helpers shared by the pipeline stages. The decoders call FindInvalidUtf8 to
// reject input; the normalizer and the classifier walk text with NextCodePoint; the encoder calls
// ReplaceInvalidUtf8 on strings it did not produce itself (file paths are arbitrary bytes).
namespace newswire::pipeline {

// Why a byte sequence is not UTF-8, and where it starts.
struct Utf8Problem {
  // Byte offset from the start of the checked text, counting from 0: the lead byte of a bad
  // sequence, or the stray continuation byte.
  std::size_t byte_offset = 0;
  // "overlong encoding", "UTF-16 surrogate", "code point above U+10FFFF", "truncated sequence",
  // "stray continuation byte", "invalid byte"; a static string.
  std::string_view reason;
};

// The first ill-formed sequence in `text` (Unicode 15, table 3-7), or nullopt when it is UTF-8.
std::optional<Utf8Problem> FindInvalidUtf8(std::string_view text);

// `text` with each maximal ill-formed subpart replaced by U+FFFD (the W3C/WHATWG practice, the
// same as ICU's). `replaced_sequences`, when given, is increased by the number of replacements.
std::string ReplaceInvalidUtf8(std::string_view text, std::size_t* replaced_sequences = nullptr);

// NextCodePoint's multi-byte case, out of line.
char32_t NextMultiByteCodePoint(std::string_view text, std::size_t& byte_index);

// The code point starting at `byte_index`, which is advanced past it. An ill-formed subpart
// yields U+FFFD and advances past that subpart, so a loop always terminates.
// Precondition: byte_index < text.size().
// Inline because every stage walks text with it and most of that text is ASCII.
inline char32_t NextCodePoint(std::string_view text, std::size_t& byte_index) {
  const auto lead = static_cast<unsigned char>(text[byte_index]);
  if (lead < 0x80) {
    ++byte_index;
    return lead;
  }
  return NextMultiByteCodePoint(text, byte_index);
}

inline constexpr char32_t kReplacementCharacter = 0xFFFD;
inline constexpr char32_t kByteOrderMark = 0xFEFF;

// A mandatory line break in UAX #14 terms: LF, VT, FF, CR, NEL, LINE SEPARATOR, PARAGRAPH
// SEPARATOR. The text decoder splits lines and the normalizer splits paragraphs on these.
inline bool IsLineBreak(char32_t code_point) {
  return (code_point >= 0x0A && code_point <= 0x0D) || code_point == 0x85 || code_point == 0x2028 ||
         code_point == 0x2029;
}

// IsHorizontalSpace's case for code points from U+0080, out of line (it asks ICU).
bool IsNonAsciiHorizontalSpace(char32_t code_point);

// Unicode White_Space that is not a line break: space, tab, NBSP, the U+2000 spaces, ideographic
// space, ... The normalizer folds runs of these into one ASCII space.
inline bool IsHorizontalSpace(char32_t code_point) {
  if (code_point < 0x80) return code_point == ' ' || code_point == '\t';
  return IsNonAsciiHorizontalSpace(code_point);
}

// `text` without leading and trailing White_Space (line breaks included).
std::string_view TrimSpace(std::string_view text);

// The number of code points in `text`, which must be UTF-8 (the normalizer's output is).
std::size_t CountCodePoints(std::string_view text);

// A letter of any script, a combining mark or a decimal digit: what words are made of for
// SimHash and the topic model. Marks belong to their word (Devanagari vowel signs, decomposed
// accents).
bool IsWordCodePoint(char32_t code_point);

}  // namespace newswire::pipeline
