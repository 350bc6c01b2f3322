#include "daemon/pipeline/decode/text_decoder.h"

#include <fmt/format.h>

#include <string_view>
#include <utility>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// The line that starts at `byte_index`, without its terminator; `byte_index` is advanced past
// the terminator, and CR LF counts as one terminator.
std::string_view NextLine(std::string_view text, std::size_t& byte_index) {
  const std::size_t line_begin = byte_index;
  while (byte_index < text.size()) {
    const std::size_t code_point_begin = byte_index;
    const char32_t code_point = NextCodePoint(text, byte_index);
    if (IsLineBreak(code_point)) {
      if (code_point == '\r' && byte_index < text.size() && text[byte_index] == '\n') {
        ++byte_index;
      }
      return text.substr(line_begin, code_point_begin - line_begin);
    }
  }
  return text.substr(line_begin);
}

Error BinaryDataError(std::string_view bytes, std::size_t nul_offset) {
  const bool looks_like_utf16 = bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF");
  return Error{Stage::kDecode, ErrorCode::kUnsupportedFormat,
               fmt::format("binary data: NUL byte at byte {}; {}", nul_offset,
                           looks_like_utf16 ? "this looks like UTF-16, convert it to UTF-8 first"
                                            : "newswire reads UTF-8 text")};
}

}  // namespace

Result<std::vector<Result<Article>>> DecodeText(const RawArticle& raw) {
  const std::string_view bytes = raw.bytes;
  if (bytes.empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput, "empty input: 0 bytes");
  }
  // Checked before UTF-8 validity: a NUL says "this is not text at all", which is the more
  // useful message for an image or a UTF-16 file than the first bad UTF-8 byte.
  if (const std::size_t nul_offset = bytes.find('\0'); nul_offset != std::string_view::npos) {
    return tl::unexpected<Error>(BinaryDataError(bytes, nul_offset));
  }
  if (const auto problem = FindInvalidUtf8(bytes)) {
    return MakeError(Stage::kDecode, ErrorCode::kInvalidUtf8,
                     fmt::format("invalid UTF-8 at byte {} ({}); newswire reads UTF-8 text, "
                                 "convert the input first (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
                                 problem->byte_offset, problem->reason));
  }

  std::string_view text = bytes;
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());

  Article article;
  article.origin = raw.origin;
  article.format = "text";
  article.stats.input_bytes = bytes.size();
  article.body.reserve(text.size());
  std::size_t byte_index = 0;
  bool have_title = false;
  while (byte_index < text.size()) {
    const std::string_view line = TrimSpace(NextLine(text, byte_index));
    if (line.empty()) continue;
    if (!have_title) {
      article.title.assign(line);
      have_title = true;
      continue;
    }
    if (!article.body.empty()) article.body.append("\n\n");
    article.body.append(line);
  }
  if (!have_title) {
    return MakeError(
        Stage::kDecode, ErrorCode::kEmptyInput,
        fmt::format("no text: all {} bytes are whitespace or line breaks", bytes.size()));
  }

  std::vector<Result<Article>> articles;
  articles.emplace_back(std::move(article));
  return articles;
}

}  // namespace newswire::pipeline
