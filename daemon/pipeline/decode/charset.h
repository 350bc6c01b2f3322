#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/error.h"

// Character sets: turns an item's bytes into UTF-8 before any decoder sees them. Pure and
// thread-safe: every ICU converter and detector is opened per call, never shared.
namespace newswire::pipeline {

// How the character set of an input was decided, strongest first.
enum class CharsetSource {
  kByteOrderMark,  // a UTF-8/16/32 byte order mark
  kContentType,    // the source's content type ("text/html; charset=windows-1252")
  kDeclared,       // <meta charset>, <meta http-equiv content="...; charset=">, <?xml encoding=?>
  kUtf8,           // no mark, no declaration, and the bytes are valid UTF-8
  kDetected,       // ICU's detector (ucsdet), confidently, on input that is not UTF-8
};

// What the caller knows about the input's syntax: only markup can declare its charset, and
// only markup wants its tags ignored by the detector.
enum class CharsetSyntax { kPlain, kMarkup };

// The input as UTF-8, plus what it took to get there. Holds either a view of the caller's bytes
// (the common case: valid UTF-8 is used as it is, with no copy) or its own converted copy;
// text() is only valid while the caller's bytes are.
class Utf8Text {
 public:
  static Utf8Text Borrowed(std::string_view bytes, std::string charset, CharsetSource source);
  static Utf8Text Converted(std::string utf8, std::string charset, CharsetSource source,
                            std::size_t replaced_sequences);

  std::string_view text() const { return converted_ ? std::string_view(*converted_) : borrowed_; }
  // True when text() is a new string rather than the input (minus a UTF-8 byte order mark).
  bool converted() const { return converted_.has_value(); }
  // Moves the converted string out (only when converted()); the object is spent afterwards.
  std::string TakeConverted() && { return std::move(*converted_); }
  // The charset's preferred MIME/IANA name: "UTF-8", "UTF-16LE", "windows-1252", ...
  const std::string& charset() const { return charset_; }
  CharsetSource source() const { return source_; }
  // Invalid or unmappable byte sequences replaced by U+FFFD during conversion.
  std::size_t replaced_sequences() const { return replaced_sequences_; }

 private:
  std::string_view borrowed_;
  std::optional<std::string> converted_;
  std::string charset_;
  CharsetSource source_ = CharsetSource::kUtf8;
  std::size_t replaced_sequences_ = 0;
};

// Undeclared input shorter than this is never handed to the detector: a few bytes of Latin
// letters fit several charsets equally well, and a confident guess on them is noise.
inline constexpr std::size_t kMinDetectionBytes = 64;
// The detector's confidence (0..100) below which undeclared non-UTF-8 input is rejected.
inline constexpr int kMinDetectionConfidence = 50;

// The charset a byte order mark at the start of `bytes` names, with the mark's length.
struct ByteOrderMark {
  std::string_view charset;  // "UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"
  std::size_t length = 0;
};
std::optional<ByteOrderMark> FindByteOrderMark(std::string_view bytes);

// "UTF-16LE" or "UTF-16BE" when `bytes` look like UTF-16 text without a byte order mark: in
// their first 1024 bytes (at least 16), the bytes at every other position are NUL (the high
// byte of Latin text) and the others are not, nor control characters other than tab and line
// breaks. Used to say why NUL bytes were refused, not to convert: with no mark, the guess is
// left to the operator. Empty otherwise.
std::string_view LikelyUtf16WithoutMark(std::string_view bytes);

// The end of the error message for input refused for its NUL bytes: how to convert it when it
// looks like UTF-16 without a mark, else that newswire reads text.
std::string NulBytesAdvice(std::string_view bytes);

// The charset label declared in the first 1024 bytes of markup: an XML declaration's encoding,
// <meta charset=...>, or <meta http-equiv="Content-Type" content="...; charset=...">. The label
// as written (e.g. "iso-8859-1"), or nullopt.
std::optional<std::string> FindDeclaredCharset(std::string_view bytes);

// `bytes` as UTF-8. In order:
// 1. a byte order mark decides, and the text after it is converted (a UTF-8 mark is dropped);
// 2. `content_type_charset`, the charset the source declared outside the bytes
//    (CharsetFromContentType; "" = none), is used when ICU knows it, whatever the syntax and
//    ahead of any declaration inside the bytes, as browsers rank an HTTP header's charset;
//    Latin-1 and ASCII labels mean windows-1252 as in 3. An unknown label is ignored;
// 3. for markup, a declared charset that ICU knows is used (HTML's WHATWG rules apply:
//    "iso-8859-1" and "us-ascii" mean windows-1252, a declared UTF-16 without a mark means
//    UTF-8);
// 4. valid UTF-8 is used as it is (a view, no copy);
// 5. otherwise undeclared, invalid UTF-8 is either corrupt UTF-8 or a legacy charset. It is
//    rejected (kInvalidUtf8 at the first bad byte) when it holds a valid multi-byte UTF-8
//    sequence (corrupt or mixed: converting it would turn the valid part into mojibake), when
//    it is shorter than kMinDetectionBytes, or when ICU's detector is less than
//    kMinDetectionConfidence sure; it is rejected as binary (kUnsupportedFormat) when it holds
//    a NUL. Else it is converted from the detected charset.
// Conversion replaces invalid and unmappable sequences by U+FFFD and counts them (so do bytes
// that are not valid in a declared UTF-8); it never fails on content. Errors: the above,
// kTooLarge, kInternal (ICU itself failed).
Result<Utf8Text> ToUtf8(std::string_view bytes, CharsetSyntax syntax,
                        std::string_view content_type_charset = {});

// `bytes` converted from `charset` (an ICU converter name or alias) to UTF-8, with invalid and
// unmappable sequences replaced by U+FFFD and counted in `replaced_sequences`. kInvalidArgument
// when ICU does not know the charset.
Result<std::string> ConvertToUtf8(std::string_view bytes, std::string_view charset,
                                  std::size_t& replaced_sequences);

}  // namespace newswire::pipeline
