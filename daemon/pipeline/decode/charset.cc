#include "daemon/pipeline/decode/charset.h"

#include <fmt/format.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucsdet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <utility>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// HTML's rule: a declaration is only honoured in the first 1024 bytes.
constexpr std::size_t kDeclarationWindow = 1024;
// The detector reads at most this much: its statistics settle long before, and it takes an
// int32 length.
constexpr std::size_t kDetectionWindow = 64 * 1024;
// ICU's converters take int32 lengths; far beyond any news article, so larger input is refused
// instead of being converted in pieces.
constexpr std::size_t kMaxConvertBytes = 256 * 1024 * 1024;
constexpr std::string_view kUtf8 = "UTF-8";

struct ConverterCloser {
  void operator()(UConverter* converter) const { ucnv_close(converter); }
};
using ConverterPointer = std::unique_ptr<UConverter, ConverterCloser>;

struct DetectorCloser {
  void operator()(UCharsetDetector* detector) const { ucsdet_close(detector); }
};
using DetectorPointer = std::unique_ptr<UCharsetDetector, DetectorCloser>;

bool IsAsciiSpace(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\r' ||
         character == '\f';
}

bool IsLabelCharacter(char character) {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
         (character >= '0' && character <= '9') || character == '-' || character == '_' ||
         character == '.' || character == ':';
}

// The value of `name` = value (quoted or not) that starts at or after `from` in `text`, where
// `text` is already lowercase; empty when there is none or it is not a charset label.
std::string AttributeValue(std::string_view text, std::string_view name, std::size_t from) {
  for (std::size_t at = text.find(name, from); at != std::string_view::npos;
       at = text.find(name, at + 1)) {
    std::size_t index = at + name.size();
    while (index < text.size() && IsAsciiSpace(text[index])) ++index;
    if (index >= text.size() || text[index] != '=') continue;
    ++index;
    while (index < text.size() && IsAsciiSpace(text[index])) ++index;
    if (index < text.size() && (text[index] == '"' || text[index] == '\'')) ++index;
    const std::size_t begin = index;
    while (index < text.size() && IsLabelCharacter(text[index])) ++index;
    // Labels are short ASCII names; anything else is not a declaration worth trusting.
    if (index > begin && index - begin <= 40) return std::string(text.substr(begin, index - begin));
  }
  return {};
}

// The converter's name as a consumer expects it ("windows-1252", not "ibm-5348_P100-1997").
std::string PreferredName(const UConverter* converter, std::string_view fallback) {
  UErrorCode status = U_ZERO_ERROR;
  const char* internal_name = ucnv_getName(converter, &status);
  if (U_FAILURE(status) || internal_name == nullptr) return std::string(fallback);
  for (const char* standard : {"MIME", "IANA"}) {
    status = U_ZERO_ERROR;
    const char* name = ucnv_getStandardName(internal_name, standard, &status);
    if (U_SUCCESS(status) && name != nullptr) return name;
  }
  return internal_name;
}

// Replaces every invalid or unmappable input sequence by U+FFFD and counts it. ICU's own
// substitute callback would write U+001A for code pages whose substitution byte is 0x1A (such as
// windows-1252), which the normalizer would then silently drop as a control character.
void SubstituteAndCount(const void* context, UConverterToUnicodeArgs* arguments,
                        const char* /*code_units*/, int32_t /*length*/,
                        UConverterCallbackReason reason, UErrorCode* status) {
  if (reason != UCNV_UNASSIGNED && reason != UCNV_ILLEGAL && reason != UCNV_IRREGULAR) return;
  // The context is the caller's non-const counter, passed through ICU's const void*.
  ++*static_cast<std::size_t*>(const_cast<void*>(context));
  *status = U_ZERO_ERROR;
  const UChar replacement = 0xFFFD;
  ucnv_cbToUWriteUChars(arguments, &replacement, 1, 0, status);
}

Result<ConverterPointer> OpenConverter(std::string_view charset) {
  const std::string name(charset);
  UErrorCode status = U_ZERO_ERROR;
  ConverterPointer converter(ucnv_open(name.c_str(), &status));
  if (U_FAILURE(status) || converter == nullptr) {
    return MakeError(Stage::kDecode, ErrorCode::kInvalidArgument,
                     fmt::format("unknown character set \"{}\" ({})", name, u_errorName(status)));
  }
  return converter;
}

bool IsUtf8Converter(const UConverter* converter) {
  UErrorCode status = U_ZERO_ERROR;
  const char* name = ucnv_getName(converter, &status);
  return U_SUCCESS(status) && name != nullptr && std::string_view(name) == kUtf8;
}

// Converts with an already opened source converter; `replaced_sequences` is increased.
Result<std::string> Convert(UConverter* source_converter, std::string_view bytes,
                            std::size_t& replaced_sequences) {
  if (bytes.size() > kMaxConvertBytes) {
    return MakeError(Stage::kDecode, ErrorCode::kTooLarge,
                     fmt::format("{} bytes are too many to convert to UTF-8 (at most {})",
                                 bytes.size(), kMaxConvertBytes));
  }
  UErrorCode status = U_ZERO_ERROR;
  ucnv_setToUCallBack(source_converter, SubstituteAndCount, &replaced_sequences, nullptr, nullptr,
                      &status);
  ConverterPointer utf8_converter(ucnv_open("UTF-8", &status));
  if (U_FAILURE(status) || utf8_converter == nullptr) {
    return MakeError(Stage::kDecode, ErrorCode::kInternal,
                     fmt::format("ICU cannot open a UTF-8 converter: {}", u_errorName(status)));
  }

  std::string utf8;
  // Enough for Latin text from a single-byte charset or UTF-16 without regrowing.
  utf8.resize(bytes.size() + bytes.size() / 2 + 16);
  std::size_t written = 0;
  const char* source = bytes.data();
  const char* const source_limit = bytes.data() + bytes.size();
  std::array<UChar, 1024> pivot{};
  UChar* pivot_source = pivot.data();
  UChar* pivot_target = pivot.data();
  bool reset = true;
  while (true) {
    char* target = utf8.data() + written;
    status = U_ZERO_ERROR;
    ucnv_convertEx(utf8_converter.get(), source_converter, &target, utf8.data() + utf8.size(),
                   &source, source_limit, pivot.data(), &pivot_source, &pivot_target,
                   pivot.data() + pivot.size(), reset, /*flush=*/true, &status);
    reset = false;
    written = static_cast<std::size_t>(target - utf8.data());
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      utf8.resize(utf8.size() * 2);
      continue;
    }
    if (U_FAILURE(status)) {
      return MakeError(Stage::kDecode, ErrorCode::kInternal,
                       fmt::format("ICU conversion to UTF-8 failed: {}", u_errorName(status)));
    }
    break;
  }
  utf8.resize(written);
  return utf8;
}

// Whether `bytes` holds at least one well-formed UTF-8 sequence of two or more bytes.
bool HasMultiByteUtf8(std::string_view bytes) {
  constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";
  std::size_t byte_index = 0;
  while (byte_index < bytes.size()) {
    if (static_cast<unsigned char>(bytes[byte_index]) < 0x80) {
      ++byte_index;
      continue;
    }
    const std::size_t begin = byte_index;
    const char32_t code_point = NextCodePoint(bytes, byte_index);
    // NextCodePoint reports an ill-formed subpart as U+FFFD too; only a real one counts.
    if (code_point != kReplacementCharacter ||
        bytes.substr(begin, byte_index - begin) == kReplacementUtf8) {
      return true;
    }
  }
  return false;
}

// WHATWG's label fix that browsers apply wherever a label comes from, so text decodes as its
// authors saw it: Latin-1 labels are windows-1252 in practice (curly quotes in 0x80..0x9F).
std::string WebCharsetLabel(std::string label) {
  label = AsciiLower(label);
  if (label == "iso-8859-1" || label == "iso8859-1" || label == "iso_8859-1" || label == "latin1" ||
      label == "l1" || label == "us-ascii" || label == "ascii" || label == "cp1252" ||
      label == "x-cp1252") {
    return "windows-1252";
  }
  return label;
}

// A label declared inside markup additionally: a UTF-16 declaration without a byte order mark
// cannot be true of bytes an ASCII-compatible parser just read. A source's content type has no
// such contradiction and keeps its UTF-16.
std::string MarkupCharsetLabel(std::string label) {
  label = WebCharsetLabel(std::move(label));
  if (label.starts_with("utf-16") || label.starts_with("utf-32") || label == "ucs-2") {
    return std::string(kUtf8);
  }
  return label;
}

// Whether a label from outside the bytes is worth handing to ICU: charset names are short
// ASCII tokens, and ucnv_open reads ',' and '@' as options.
bool IsPlausibleLabel(std::string_view label) {
  return !label.empty() && label.size() <= 40 &&
         std::all_of(label.begin(), label.end(), IsLabelCharacter);
}

Error InvalidUtf8Error(const Utf8Problem& problem, std::string_view why) {
  return Error{
      Stage::kDecode, ErrorCode::kInvalidUtf8,
      fmt::format("invalid UTF-8 at byte {} ({}); {}", problem.byte_offset, problem.reason, why)};
}

// The detector's best usable guess: UTF-16/32 guesses need NULs that were already ruled out,
// and IBM420/424 (EBCDIC Arabic/Hebrew) fire spuriously on Latin text.
struct Detection {
  std::string charset;
  int confidence = 0;
};

Result<Detection> DetectCharset(std::string_view bytes, CharsetSyntax syntax) {
  const std::string_view window = bytes.substr(0, kDetectionWindow);
  UErrorCode status = U_ZERO_ERROR;
  DetectorPointer detector(ucsdet_open(&status));
  if (U_FAILURE(status) || detector == nullptr) {
    return MakeError(Stage::kDecode, ErrorCode::kInternal,
                     fmt::format("ICU cannot open a charset detector: {}", u_errorName(status)));
  }
  // Tags are ASCII and say nothing about the charset of the text between them.
  ucsdet_enableInputFilter(detector.get(), syntax == CharsetSyntax::kMarkup);
  ucsdet_setText(detector.get(), window.data(), static_cast<int32_t>(window.size()), &status);
  int32_t match_count = 0;
  const UCharsetMatch** matches = ucsdet_detectAll(detector.get(), &match_count, &status);
  if (U_FAILURE(status)) {
    return MakeError(Stage::kDecode, ErrorCode::kInternal,
                     fmt::format("ICU charset detection failed: {}", u_errorName(status)));
  }
  for (int32_t index = 0; index < match_count; ++index) {
    UErrorCode match_status = U_ZERO_ERROR;
    const char* name = ucsdet_getName(matches[index], &match_status);
    const int32_t confidence = ucsdet_getConfidence(matches[index], &match_status);
    if (U_FAILURE(match_status) || name == nullptr) continue;
    const std::string_view charset = name;
    if (charset.starts_with("UTF-") || charset.starts_with("IBM42")) continue;
    return Detection{std::string(charset), confidence};
  }
  return Detection{};
}

// Undeclared bytes that are not UTF-8: a legacy charset to convert, or corrupt UTF-8 to refuse.
Result<Utf8Text> FromUndeclared(std::string_view bytes, const Utf8Problem& problem,
                                CharsetSyntax syntax) {
  if (const std::size_t nul = bytes.find('\0'); nul != std::string_view::npos) {
    return MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                     fmt::format("binary data: NUL byte at byte {} and no byte order mark; {}", nul,
                                 NulBytesAdvice(bytes)));
  }
  if (HasMultiByteUtf8(bytes)) {
    return tl::unexpected<Error>(InvalidUtf8Error(
        problem,
        "the input also holds valid UTF-8 multi-byte sequences, so it is corrupt or mixed UTF-8 "
        "rather than one legacy charset; newswire will not guess which bytes are which"));
  }
  if (bytes.size() < kMinDetectionBytes) {
    return tl::unexpected<Error>(InvalidUtf8Error(
        problem, fmt::format("the input has no declared charset and, at {} bytes, is too short "
                             "to detect one (at least {}); convert it to UTF-8 first",
                             bytes.size(), kMinDetectionBytes)));
  }
  auto detection = DetectCharset(bytes, syntax);
  if (!detection) return tl::unexpected<Error>(std::move(detection.error()));
  if (detection->charset.empty() || detection->confidence < kMinDetectionConfidence) {
    return tl::unexpected<Error>(InvalidUtf8Error(
        problem,
        fmt::format("the input has no declared charset and detection is unsure (best guess "
                    "\"{}\" at {}%, needs {}%); convert it to UTF-8 first (e.g. iconv -f "
                    "WINDOWS-1252 -t UTF-8)",
                    detection->charset.empty() ? "none" : detection->charset, detection->confidence,
                    kMinDetectionConfidence)));
  }
  auto converter = OpenConverter(detection->charset);
  if (!converter) return tl::unexpected<Error>(std::move(converter.error()));
  std::size_t replaced = 0;
  auto utf8 = Convert(converter->get(), bytes, replaced);
  if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
  return Utf8Text::Converted(std::move(*utf8), PreferredName(converter->get(), detection->charset),
                             CharsetSource::kDetected, replaced);
}

// UTF-8 that a mark or a declaration vouches for: invalid bytes in it are damage, replaced.
Utf8Text FromTrustedUtf8(std::string_view bytes, CharsetSource source) {
  if (!FindInvalidUtf8(bytes)) return Utf8Text::Borrowed(bytes, std::string(kUtf8), source);
  std::size_t replaced = 0;
  std::string repaired = ReplaceInvalidUtf8(bytes, &replaced);
  return Utf8Text::Converted(std::move(repaired), std::string(kUtf8), source, replaced);
}

// `bytes` in a declared charset, or nullopt when ICU does not know the label: a wrong or
// exotic label must not cost the item, the bytes can still speak for themselves.
Result<std::optional<Utf8Text>> FromDeclaredCharset(std::string_view bytes, std::string label,
                                                    CharsetSource source) {
  auto converter = OpenConverter(label);
  if (!converter) return std::optional<Utf8Text>();
  if (IsUtf8Converter(converter->get())) return FromTrustedUtf8(bytes, source);
  std::size_t replaced = 0;
  auto utf8 = Convert(converter->get(), bytes, replaced);
  if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
  return Utf8Text::Converted(std::move(*utf8), PreferredName(converter->get(), label), source,
                             replaced);
}

}  // namespace

std::string_view LikelyUtf16WithoutMark(std::string_view bytes) {
  constexpr std::size_t kWindowBytes = 1024;
  constexpr std::size_t kMinimumBytes = 16;
  const std::string_view window = bytes.substr(0, std::min(bytes.size(), kWindowBytes) & ~1U);
  if (window.size() < kMinimumBytes) return {};
  // nul_at[0]: NULs at even offsets (big-endian Latin text), nul_at[1]: at odd (little-endian).
  std::array<std::size_t, 2> nul_at{};
  std::array<std::size_t, 2> control_at{};
  for (std::size_t index = 0; index < window.size(); ++index) {
    const auto byte = static_cast<unsigned char>(window[index]);
    if (byte == 0) {
      ++nul_at[index % 2];
    } else if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') {
      ++control_at[index % 2];
    }
  }
  const std::size_t pairs = window.size() / 2;
  for (const std::size_t high : {0U, 1U}) {
    const std::size_t low = 1 - high;
    // Nearly every high byte NUL (non-Latin letters are the exceptions), no low byte NUL, and
    // the low bytes text rather than control codes.
    if (nul_at[high] * 10 >= pairs * 9 && nul_at[low] == 0 && control_at[low] * 20 <= pairs) {
      return high == 0 ? "UTF-16BE" : "UTF-16LE";
    }
  }
  return {};
}

std::string NulBytesAdvice(std::string_view bytes) {
  const std::string_view utf16 = LikelyUtf16WithoutMark(bytes);
  if (utf16.empty()) return "newswire reads UTF-8 text";
  return fmt::format(
      "this looks like {} without a byte order mark; convert it to UTF-8 first (iconv -f {} "
      "-t UTF-8) or add the mark",
      utf16, utf16);
}

Utf8Text Utf8Text::Borrowed(std::string_view bytes, std::string charset, CharsetSource source) {
  Utf8Text text;
  text.borrowed_ = bytes;
  text.charset_ = std::move(charset);
  text.source_ = source;
  return text;
}

Utf8Text Utf8Text::Converted(std::string utf8, std::string charset, CharsetSource source,
                             std::size_t replaced_sequences) {
  Utf8Text text;
  text.converted_ = std::move(utf8);
  text.charset_ = std::move(charset);
  text.source_ = source;
  text.replaced_sequences_ = replaced_sequences;
  return text;
}

std::optional<ByteOrderMark> FindByteOrderMark(std::string_view bytes) {
  // UTF-32LE before UTF-16LE: its mark starts with UTF-16LE's.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kMarks{{
      {std::string_view("\xFF\xFE\x00\x00", 4), "UTF-32LE"},
      {std::string_view("\x00\x00\xFE\xFF", 4), "UTF-32BE"},
      {"\xEF\xBB\xBF", "UTF-8"},
      {"\xFF\xFE", "UTF-16LE"},
      {"\xFE\xFF", "UTF-16BE"},
  }};
  for (const auto& [mark, charset] : kMarks) {
    if (bytes.starts_with(mark)) return ByteOrderMark{charset, mark.size()};
  }
  return std::nullopt;
}

std::optional<std::string> FindDeclaredCharset(std::string_view bytes) {
  const std::string head = AsciiLower(bytes.substr(0, kDeclarationWindow));
  const std::string_view text = head;
  // An XML declaration can only be the very first thing (after a byte order mark).
  std::size_t start = 0;
  if (text.starts_with("\xEF\xBB\xBF")) start = 3;
  if (text.substr(start).starts_with("<?xml")) {
    const std::size_t end = text.find("?>", start);
    const std::string_view declaration =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    std::string label = AttributeValue(declaration, "encoding", 0);
    if (!label.empty()) return label;
  }
  for (std::size_t meta = text.find("<meta"); meta != std::string_view::npos;
       meta = text.find("<meta", meta + 1)) {
    const std::size_t end = text.find('>', meta);
    const std::string_view tag =
        text.substr(meta, end == std::string_view::npos ? std::string_view::npos : end - meta);
    // Covers both <meta charset=x> and content="text/html; charset=x".
    std::string label = AttributeValue(tag, "charset", 0);
    if (!label.empty()) return label;
  }
  return std::nullopt;
}

Result<std::string> ConvertToUtf8(std::string_view bytes, std::string_view charset,
                                  std::size_t& replaced_sequences) {
  auto converter = OpenConverter(charset);
  if (!converter) return tl::unexpected<Error>(std::move(converter.error()));
  return Convert(converter->get(), bytes, replaced_sequences);
}

Result<Utf8Text> ToUtf8(std::string_view bytes, CharsetSyntax syntax,
                        std::string_view content_type_charset) {
  if (const auto mark = FindByteOrderMark(bytes)) {
    const std::string_view text = bytes.substr(mark->length);
    if (mark->charset == kUtf8) return FromTrustedUtf8(text, CharsetSource::kByteOrderMark);
    std::size_t replaced = 0;
    auto utf8 = ConvertToUtf8(text, mark->charset, replaced);
    if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
    return Utf8Text::Converted(std::move(*utf8), std::string(mark->charset),
                               CharsetSource::kByteOrderMark, replaced);
  }

  if (IsPlausibleLabel(content_type_charset)) {
    auto utf8 = FromDeclaredCharset(bytes, WebCharsetLabel(std::string(content_type_charset)),
                                    CharsetSource::kContentType);
    if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
    if (*utf8) return std::move(**utf8);
  }

  if (syntax == CharsetSyntax::kMarkup) {
    if (auto declared = FindDeclaredCharset(bytes)) {
      // An unknown label is ignored, as a browser would, and the bytes speak for themselves.
      auto utf8 = FromDeclaredCharset(bytes, MarkupCharsetLabel(std::move(*declared)),
                                      CharsetSource::kDeclared);
      if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
      if (*utf8) return std::move(**utf8);
    }
  }

  const auto problem = FindInvalidUtf8(bytes);
  if (!problem) return Utf8Text::Borrowed(bytes, std::string(kUtf8), CharsetSource::kUtf8);
  return FromUndeclared(bytes, *problem, syntax);
}

}  // namespace newswire::pipeline
