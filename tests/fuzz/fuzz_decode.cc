// Every decoder and the charset stage: the last byte picks the content type a source might
// declare (none, so that sniffing decides, or one of each format, with and without a charset);
// the rest is the item. A seed file ending in '\n' (10) is sniffed, as a file in a feed
// directory is. Decoding must never crash, hang or read out of bounds, whatever the
// bytes, and every article it returns must be UTF-8.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "daemon/pipeline/decode/decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace {

constexpr std::array<std::string_view, 10> kContentTypes{
    "",
    "text/plain",
    "text/html",
    "application/rss+xml",
    "application/atom+xml",
    "application/json",
    "application/x-ndjson",
    "text/html; charset=windows-1252",
    "text/plain; charset=utf-16le",
    "text/plain; charset=shift_jis",
};

void CheckUtf8(std::string_view text, const char* field) {
  if (const auto problem = newswire::pipeline::FindInvalidUtf8(text)) {
    std::fprintf(stderr, "fuzz_decode: %s is not UTF-8 at byte %zu of %zu (%.*s)\n", field,
                 problem->byte_offset, text.size(), static_cast<int>(problem->reason.size()),
                 problem->reason.data());
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  newswire::RawArticle raw;
  raw.content_type = std::string(kContentTypes[data[size - 1] % kContentTypes.size()]);
  raw.bytes.assign(reinterpret_cast<const char*>(data), size - 1);
  raw.origin.source_name = "fuzz";
  auto decoded = newswire::pipeline::Decode(raw, newswire::pipeline::JsonFieldMapping{},
                                            /*max_articles=*/1000);
  if (!decoded) return 0;
  for (const auto& article : *decoded) {
    if (!article) continue;
    CheckUtf8(article->title, "title");
    CheckUtf8(article->subtitle, "subtitle");
    CheckUtf8(article->body, "body");
    CheckUtf8(article->url, "url");
    for (const auto& author : article->authors) CheckUtf8(author.name, "an author");
  }
  return 0;
}
