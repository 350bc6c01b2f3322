#include "daemon/pipeline/unicode_text.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace newswire::pipeline {
namespace {

// One decoded sequence: the code point (U+FFFD when ill-formed), how many bytes it spans (for an
// ill-formed sequence: its maximal subpart, at least 1), and why it is ill-formed (empty if not).
struct DecodedSequence {
  char32_t code_point = kReplacementCharacter;
  std::size_t length_bytes = 1;
  std::string_view problem;
};

constexpr std::string_view kOverlong = "overlong encoding";
constexpr std::string_view kSurrogate = "UTF-16 surrogate";
constexpr std::string_view kAboveMaximum = "code point above U+10FFFF";
constexpr std::string_view kTruncated = "truncated sequence";
constexpr std::string_view kStrayContinuation = "stray continuation byte";
constexpr std::string_view kInvalidByte = "invalid byte";

bool IsContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Well-formed sequences per Unicode table 3-7. The second byte's range depends on the lead byte;
// that is what excludes overlong forms (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
DecodedSequence DecodeAt(std::string_view text, std::size_t byte_index) {
  const auto byte_at = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte_at(byte_index);
  if (lead < 0x80) return {lead, 1, {}};
  if (lead < 0xC0) return {kReplacementCharacter, 1, kStrayContinuation};
  if (lead < 0xC2) return {kReplacementCharacter, 1, kOverlong};
  if (lead > 0xF4) {
    return {kReplacementCharacter, 1, lead < 0xF8 ? kAboveMaximum : kInvalidByte};
  }

  std::size_t length_bytes = 0;
  char32_t code_point = 0;
  unsigned char second_lowest = 0x80;
  unsigned char second_highest = 0xBF;
  std::string_view second_problem = kTruncated;
  if (lead < 0xE0) {
    length_bytes = 2;
    code_point = lead & 0x1F;
  } else if (lead < 0xF0) {
    length_bytes = 3;
    code_point = lead & 0x0F;
    if (lead == 0xE0) {
      second_lowest = 0xA0;
      second_problem = kOverlong;
    } else if (lead == 0xED) {
      second_highest = 0x9F;
      second_problem = kSurrogate;
    }
  } else {
    length_bytes = 4;
    code_point = lead & 0x07;
    if (lead == 0xF0) {
      second_lowest = 0x90;
      second_problem = kOverlong;
    } else if (lead == 0xF4) {
      second_highest = 0x8F;
      second_problem = kAboveMaximum;
    }
  }

  for (std::size_t position = 1; position < length_bytes; ++position) {
    if (byte_index + position >= text.size()) {
      return {kReplacementCharacter, position, kTruncated};
    }
    const unsigned char next = byte_at(byte_index + position);
    const unsigned char lowest = position == 1 ? second_lowest : 0x80;
    const unsigned char highest = position == 1 ? second_highest : 0xBF;
    if (next < lowest || next > highest) {
      // A continuation byte outside the narrowed range of the second byte is the overlong,
      // surrogate or too-large case; anything else means the sequence was cut short.
      if (position == 1 && IsContinuationByte(next)) {
        return {kReplacementCharacter, 1, second_problem};
      }
      return {kReplacementCharacter, position, kTruncated};
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  return {code_point, length_bytes, {}};
}

bool IsWhiteSpace(char32_t code_point) {
  if (code_point < 0x80) {
    return code_point == ' ' || (code_point >= 0x09 && code_point <= 0x0D);
  }
  return u_isUWhiteSpace(static_cast<UChar32>(code_point));
}

}  // namespace

std::optional<Utf8Problem> FindInvalidUtf8(std::string_view text) {
  std::size_t byte_index = 0;
  while (byte_index < text.size()) {
    // Eight ASCII bytes at a time: every string of every event passes through here.
    if (byte_index + sizeof(std::uint64_t) <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + byte_index, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        byte_index += sizeof word;
        continue;
      }
    }
    if (static_cast<unsigned char>(text[byte_index]) < 0x80) {
      ++byte_index;
      continue;
    }
    const DecodedSequence sequence = DecodeAt(text, byte_index);
    if (!sequence.problem.empty()) return Utf8Problem{byte_index, sequence.problem};
    byte_index += sequence.length_bytes;
  }
  return std::nullopt;
}

std::string ReplaceInvalidUtf8(std::string_view text, std::size_t* replaced_sequences) {
  std::string result;
  result.reserve(text.size());
  std::size_t byte_index = 0;
  std::size_t valid_begin = 0;
  while (byte_index < text.size()) {
    if (static_cast<unsigned char>(text[byte_index]) < 0x80) {
      ++byte_index;
      continue;
    }
    const DecodedSequence sequence = DecodeAt(text, byte_index);
    if (sequence.problem.empty()) {
      byte_index += sequence.length_bytes;
      continue;
    }
    result.append(text.substr(valid_begin, byte_index - valid_begin));
    result.append("\xEF\xBF\xBD");
    if (replaced_sequences != nullptr) ++*replaced_sequences;
    byte_index += sequence.length_bytes;
    valid_begin = byte_index;
  }
  result.append(text.substr(valid_begin));
  return result;
}

char32_t NextMultiByteCodePoint(std::string_view text, std::size_t& byte_index) {
  const DecodedSequence sequence = DecodeAt(text, byte_index);
  byte_index += sequence.length_bytes;
  return sequence.code_point;
}

bool IsNonAsciiHorizontalSpace(char32_t code_point) {
  return IsWhiteSpace(code_point) && !IsLineBreak(code_point);
}

std::string_view TrimSpace(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t next = begin;
    if (!IsWhiteSpace(NextCodePoint(text, next))) break;
    begin = next;
  }
  std::size_t end = text.size();
  while (end > begin) {
    // Step back to the lead byte of the last sequence (at most 3 continuation bytes).
    std::size_t start = end - 1;
    while (start > begin && end - start < 4 &&
           IsContinuationByte(static_cast<unsigned char>(text[start]))) {
      --start;
    }
    const DecodedSequence sequence = DecodeAt(text, start);
    if (!sequence.problem.empty() || start + sequence.length_bytes != end ||
        !IsWhiteSpace(sequence.code_point)) {
      break;
    }
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::size_t CountCodePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char byte) {
    return !IsContinuationByte(static_cast<unsigned char>(byte));
  }));
}

bool IsWordCodePoint(char32_t code_point) {
  if (code_point < 0x80) {
    return (code_point >= 'a' && code_point <= 'z') || (code_point >= 'A' && code_point <= 'Z') ||
           (code_point >= '0' && code_point <= '9');
  }
  constexpr std::uint32_t kWordCategories = U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK;
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & kWordCategories) != 0;
}

}  // namespace newswire::pipeline
