// The normalizer on any UTF-8 (what every decoder hands it): the input up to the first NUL is
// the title, the rest the body. It must never crash, and what it returns must be UTF-8 in NFC
// with paragraphs joined by exactly "\n\n" and no control characters left.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/pipeline/normalize/normalizer.h"
#include "daemon/pipeline/unicode_text.h"

namespace {

void Check(bool holds) {
  if (!holds) __builtin_trap();
}

void CheckClean(std::string_view text, bool paragraphs) {
  Check(!newswire::pipeline::FindInvalidUtf8(text).has_value());
  Check(text.find("\n\n\n") == std::string_view::npos);
  Check(text.empty() || (text.front() != ' ' && text.back() != ' ' && text.back() != '\n'));
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    Check(byte >= 0x20 || (paragraphs && byte == '\n'));
    Check(byte != 0x7F);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (newswire::pipeline::FindInvalidUtf8(input)) return 0;
  const std::size_t split = input.find('\0');
  newswire::Article article;
  article.title = std::string(input.substr(0, split));
  if (split != std::string_view::npos) article.body = std::string(input.substr(split + 1));
  auto normalized = newswire::pipeline::Normalize(std::move(article));
  if (!normalized) return 0;
  CheckClean(normalized->title, /*paragraphs=*/false);
  CheckClean(normalized->body, /*paragraphs=*/true);
  Check(normalized->stats.words > 0);
  return 0;
}
