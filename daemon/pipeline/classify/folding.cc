#include "daemon/pipeline/classify/folding.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace newswire::pipeline {
namespace {

// Code points below this are folded once, on first use, into a table; text in Latin, Greek,
// Cyrillic, Arabic, Indic scripts and general punctuation never calls ICU in the steady state.
constexpr char32_t kTableLimit = 0x3000;
constexpr char32_t kReplacementCharacter = 0xFFFD;

// Enough for the longest folded form of one code point: full case folding gives at most three
// code points and NFD expands each to at most four, of at most four bytes each.
constexpr std::size_t kMaxFoldedBytes = 48;

// The folded UTF-8 of one code point.
struct FoldedCodePoint {
  std::uint8_t length = 0;
  std::array<char, kMaxFoldedBytes> bytes{};
};

// A table entry is small so that the whole table (12288 entries) stays cache-friendly; the few
// code points whose folded form does not fit are marked kSlowPath and folded through ICU each
// time.
constexpr std::size_t kEntryBytes = 7;
constexpr std::uint8_t kSlowPath = 0xFF;
struct TableEntry {
  std::uint8_t length = 0;
  std::array<char, kEntryBytes> bytes{};
};

constexpr std::array<char, 128> MakeAsciiTable() {
  std::array<char, 128> table{};
  for (int byte = 0; byte < 128; ++byte) {
    char folded = static_cast<char>(byte);
    if (byte >= 'A' && byte <= 'Z') folded = static_cast<char>(byte - 'A' + 'a');
    // White space other than '\n' is a plain space, so that "a\tb" matches "a b".
    if (byte == '\t' || byte == '\v' || byte == '\f' || byte == '\r') folded = ' ';
    // The grave accent stands in for an apostrophe in plenty of feeds.
    if (byte == '`') folded = '\'';
    table[byte] = folded;
  }
  return table;
}
constexpr std::array<char, 128> kAsciiTable = MakeAsciiTable();

void AppendUtf8(char32_t code_point, FoldedCodePoint& out) {
  auto put = [&out](unsigned value) {
    if (out.length < kMaxFoldedBytes) out.bytes[out.length++] = static_cast<char>(value);
  };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xC0 | (code_point >> 6));
    put(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    put(0xE0 | (code_point >> 12));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else {
    put(0xF0 | (code_point >> 18));
    put(0x80 | ((code_point >> 12) & 0x3F));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  }
}

// Letters that have no canonical decomposition but are read as plain Latin letters by anyone
// typing a rule or a gazetteer entry on an English keyboard. Returns nullptr if `code_point`
// is not one of them.
const char* LatinLetterReplacement(char32_t code_point) {
  switch (code_point) {
    case 0x00D8:  // Ø
    case 0x00F8:  // ø
      return "o";
    case 0x0110:  // Đ
    case 0x0111:  // đ
    case 0x00D0:  // Ð
    case 0x00F0:  // ð
      return "d";
    case 0x0141:  // Ł
    case 0x0142:  // ł
      return "l";
    case 0x0126:  // Ħ
    case 0x0127:  // ħ
      return "h";
    case 0x0131:  // ı
      return "i";
    case 0x00C6:  // Æ
    case 0x00E6:  // æ
      return "ae";
    case 0x0152:  // Œ
    case 0x0153:  // œ
      return "oe";
    case 0x00DE:  // Þ
    case 0x00FE:  // þ
      return "th";
    default:
      return nullptr;
  }
}

// Typographic variants, spaces and invisible characters. Returns nullptr if `code_point` is none
// of them, "" if it is removed.
const char* PunctuationReplacement(char32_t code_point) {
  switch (code_point) {
    case 0x2018:  // ‘
    case 0x2019:  // ’
    case 0x201A:  // ‚
    case 0x201B:  // ‛
    case 0x2032:  // ′
      return "'";
    case 0x201C:  // “
    case 0x201D:  // ”
    case 0x201E:  // „
    case 0x201F:  // ‟
    case 0x2033:  // ″
    case 0x00AB:  // «
    case 0x00BB:  // »
      return "\"";
    case 0x2212:  // minus sign
      return "-";
    case 0x00AD:  // soft hyphen
    case 0x200B:  // zero-width space
    case 0x200C:  // zero-width non-joiner
    case 0x200D:  // zero-width joiner
    case 0x2060:  // word joiner
    case 0xFEFF:  // zero-width no-break space, byte order mark
      return "";
    default:
      break;
  }
  if (code_point >= 0x2010 && code_point <= 0x2015) return "-";
  if (code_point < 0x80) return nullptr;
  if (u_hasBinaryProperty(static_cast<UChar32>(code_point), UCHAR_WHITE_SPACE)) return " ";
  return nullptr;
}

void AppendString(const char* bytes, FoldedCodePoint& out) {
  for (; *bytes != '\0'; ++bytes) AppendUtf8(static_cast<unsigned char>(*bytes), out);
}

// Appends one code point produced by case folding and NFD: nonspacing marks are dropped and the
// letters that do not decompose are replaced.
void AppendDecomposed(UChar32 code_point, FoldedCodePoint& out) {
  if (u_charType(code_point) == U_NON_SPACING_MARK) return;
  if (code_point < 0x80) {
    AppendUtf8(static_cast<unsigned char>(kAsciiTable[code_point]), out);
  } else if (const char* replacement = LatinLetterReplacement(code_point)) {
    AppendString(replacement, out);
  } else {
    AppendUtf8(static_cast<char32_t>(code_point), out);
  }
}

// The folded form of one non-ASCII code point, computed with ICU. Allocates nothing.
FoldedCodePoint FoldWithIcu(char32_t code_point) {
  FoldedCodePoint out;
  if (const char* replacement = PunctuationReplacement(code_point)) {
    AppendString(replacement, out);
    return out;
  }
  if (const char* replacement = LatinLetterReplacement(code_point)) {
    AppendString(replacement, out);
    return out;
  }
  std::array<UChar, 2> source{};
  std::int32_t source_length = 0;
  UBool is_error = false;
  U16_APPEND(source.data(), source_length, 2, static_cast<UChar32>(code_point), is_error);
  std::array<UChar, 8> case_folded{};
  std::array<UChar, 32> decomposed{};
  UErrorCode status = U_ZERO_ERROR;
  const std::int32_t case_folded_length =
      u_strFoldCase(case_folded.data(), case_folded.size(), source.data(), source_length,
                    U_FOLD_CASE_DEFAULT, &status);
  const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
  const std::int32_t decomposed_length =
      U_SUCCESS(status) ? unorm2_normalize(nfd, case_folded.data(), case_folded_length,
                                           decomposed.data(), decomposed.size(), &status)
                        : 0;
  // ICU fails only on a broken installation; matching the code point as it is beats dropping it.
  if (is_error || U_FAILURE(status)) {
    AppendUtf8(code_point, out);
    return out;
  }
  for (std::int32_t index = 0; index < decomposed_length;) {
    UChar32 decomposed_code_point = 0;
    U16_NEXT(decomposed.data(), index, decomposed_length, decomposed_code_point);
    AppendDecomposed(decomposed_code_point, out);
  }
  return out;
}

class FoldTable {
 public:
  FoldTable() : entries_(std::make_unique<TableEntry[]>(kTableLimit)) {
    for (char32_t code_point = 0x80; code_point < kTableLimit; ++code_point) {
      const FoldedCodePoint folded = FoldWithIcu(code_point);
      TableEntry& entry = entries_[code_point];
      if (folded.length > kEntryBytes) {
        entry.length = kSlowPath;
      } else {
        entry.length = folded.length;
        std::memcpy(entry.bytes.data(), folded.bytes.data(), folded.length);
      }
    }
  }
  const TableEntry& operator[](char32_t code_point) const { return entries_[code_point]; }

 private:
  std::unique_ptr<TableEntry[]> entries_;
};

const FoldTable& SharedFoldTable() {
  static const FoldTable table;
  return table;
}

// CJK ideographs neither case-fold nor decompose; skipping ICU for them keeps Chinese and
// Japanese text fast.
bool IsUnchangedIdeograph(char32_t code_point) {
  return (code_point >= 0x3400 && code_point <= 0x4DBF) ||
         (code_point >= 0x4E00 && code_point <= 0x9FFF);
}

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Decodes the multi-byte sequence at `position` and sets `length`; returns 0, which no valid
// multi-byte sequence encodes, if the bytes there are not a complete, shortest-form UTF-8 code
// point.
char32_t DecodeMultiByte(const unsigned char* bytes, std::size_t position, std::size_t size,
                         std::size_t& length) {
  const unsigned char lead = bytes[position];
  const std::size_t available = size - position;
  if (lead >= 0xC2 && lead <= 0xDF) {
    if (available < 2 || !IsContinuation(bytes[position + 1])) return 0;
    length = 2;
    return (static_cast<char32_t>(lead & 0x1F) << 6) | (bytes[position + 1] & 0x3F);
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (available < 3) return 0;
    const unsigned char second = bytes[position + 1];
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    if (second < low || second > high || !IsContinuation(bytes[position + 2])) return 0;
    length = 3;
    return (static_cast<char32_t>(lead & 0x0F) << 12) |
           (static_cast<char32_t>(second & 0x3F) << 6) | (bytes[position + 2] & 0x3F);
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (available < 4) return 0;
    const unsigned char second = bytes[position + 1];
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    if (second < low || second > high || !IsContinuation(bytes[position + 2]) ||
        !IsContinuation(bytes[position + 3])) {
      return 0;
    }
    length = 4;
    return (static_cast<char32_t>(lead & 0x07) << 18) |
           (static_cast<char32_t>(second & 0x3F) << 12) |
           (static_cast<char32_t>(bytes[position + 2] & 0x3F) << 6) | (bytes[position + 3] & 0x3F);
  }
  return 0;
}

// Writes folded bytes into `out` through raw pointers: the buffers are sized ahead (ASCII folds
// one byte to one byte) and grown only when a non-ASCII code point needs more room, so the ASCII
// loop does no bounds or capacity checks.
class FoldWriter {
 public:
  FoldWriter(FoldedText& out, std::size_t input_size) : out_(out) {
    out_.text.clear();
    out_.source_offsets.clear();
    Resize(input_size);
  }

  // Makes room for `bytes` more bytes plus `remaining_input` (the ASCII worst case of the rest).
  void Reserve(std::size_t bytes, std::size_t remaining_input) {
    const std::size_t needed = length_ + bytes + remaining_input;
    if (needed > out_.text.size())
      Resize(std::max(needed, out_.text.size() + out_.text.size() / 2));
  }

  void Append(const char* bytes, std::size_t count, std::uint32_t source_offset) {
    std::memcpy(text_ + length_, bytes, count);
    std::fill_n(offsets_ + length_, count, source_offset);
    length_ += count;
  }

  char* text() { return text_; }
  std::uint32_t* offsets() { return offsets_; }
  std::size_t& length() { return length_; }

  void Finish(std::size_t input_size) {
    out_.text.resize(length_);
    out_.source_offsets.resize(length_ + 1);
    out_.source_offsets[length_] = static_cast<std::uint32_t>(input_size);
  }

 private:
  void Resize(std::size_t size) {
    out_.text.resize(size);
    out_.source_offsets.resize(size + 1);
    text_ = out_.text.data();
    offsets_ = out_.source_offsets.data();
  }

  FoldedText& out_;
  char* text_ = nullptr;
  std::uint32_t* offsets_ = nullptr;
  std::size_t length_ = 0;
};

}  // namespace

void FoldInto(std::string_view utf8, FoldedText& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(utf8.data());
  const std::size_t size = utf8.size();
  FoldWriter writer(out, size);
  const FoldTable* table = nullptr;
  std::size_t position = 0;
  while (position < size) {
    // The hot loop: runs of ASCII, one table lookup per byte.
    {
      char* text = writer.text();
      std::uint32_t* offsets = writer.offsets();
      std::size_t length = writer.length();
      while (position < size && bytes[position] < 0x80) {
        text[length] = kAsciiTable[bytes[position]];
        offsets[length] = static_cast<std::uint32_t>(position);
        ++length;
        ++position;
      }
      writer.length() = length;
    }
    if (position >= size) break;

    const auto source_offset = static_cast<std::uint32_t>(position);
    std::size_t sequence_length = 1;
    char32_t code_point = DecodeMultiByte(bytes, position, size, sequence_length);
    if (code_point == 0) code_point = kReplacementCharacter;
    position += sequence_length;
    const std::size_t remaining = size - position;

    if (code_point < kTableLimit) {
      if (table == nullptr) table = &SharedFoldTable();
      const TableEntry& entry = (*table)[code_point];
      if (entry.length != kSlowPath) {
        writer.Reserve(entry.length, remaining);
        writer.Append(entry.bytes.data(), entry.length, source_offset);
        continue;
      }
    } else if (IsUnchangedIdeograph(code_point) || code_point == kReplacementCharacter) {
      writer.Reserve(3, remaining);
      const char* source = code_point == kReplacementCharacter
                               ? "\xEF\xBF\xBD"
                               : reinterpret_cast<const char*>(bytes + source_offset);
      writer.Append(source, 3, source_offset);
      continue;
    }
    const FoldedCodePoint folded = FoldWithIcu(code_point);
    writer.Reserve(folded.length, remaining);
    writer.Append(folded.bytes.data(), folded.length, source_offset);
  }
  writer.Finish(size);
}

FoldedText Fold(std::string_view utf8) {
  FoldedText folded;
  FoldInto(utf8, folded);
  return folded;
}

ByteRange OriginalRange(const FoldedText& folded, std::size_t begin, std::size_t end) {
  const std::size_t folded_size = folded.text.size();
  if (folded.source_offsets.size() != folded_size + 1) return {};
  begin = std::min(begin, folded_size);
  end = std::min(end, folded_size);
  const std::size_t original_begin = folded.source_offsets[begin];
  if (begin >= end) return {original_begin, original_begin};
  // The source code point of byte end-1 ends where the next folded byte from a different source
  // code point begins (or at the end of the original).
  const std::uint32_t last_source = folded.source_offsets[end - 1];
  while (end < folded_size && folded.source_offsets[end] == last_source) ++end;
  return {original_begin, folded.source_offsets[end]};
}

}  // namespace newswire::pipeline
