#include "daemon/pipeline/decode/decoder.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/pipeline/decode/charset.h"
#include "daemon/pipeline/decode/feed_decoder.h"
#include "daemon/pipeline/decode/format_sniffer.h"
#include "daemon/pipeline/decode/html_decoder.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

using Decoded = Result<std::vector<Result<Article>>>;

// Plain text: the text decoder validates UTF-8 itself, so it gets the item untouched unless the
// charset layer produced new bytes.
Decoded DecodeTextItem(const RawArticle& raw, Utf8Text utf8) {
  if (!utf8.converted()) return DecodeText(raw);
  RawArticle converted;
  converted.bytes = std::move(utf8).TakeConverted();
  converted.origin = raw.origin;
  auto decoded = DecodeText(converted);
  if (decoded) {
    // The item's size as it arrived, not as UTF-8.
    for (auto& article : *decoded) {
      if (article) article->stats.input_bytes = raw.bytes.size();
    }
  }
  return decoded;
}

// UTF-16 and UTF-32 in any byte order: the charsets whose bytes sniff differently from their
// UTF-8.
bool IsWideUnicode(std::string_view charset) {
  return charset.starts_with("UTF-16") || charset.starts_with("UTF-32");
}

// A declared format that fails says so: the fix may be the source's content type, not the item.
// Only the essence is quoted: FormatFromContentType knew it, so it is a short ASCII token, while
// the parameters are whatever the producer sent.
void AppendDeclaredBy(Error& error, std::string_view content_type) {
  error.message.append(" (declared by content type '")
      .append(ContentTypeEssence(content_type))
      .append("')");
}

// Gumbo 0.10 turns a hexadecimal character reference beyond 32 bits ("&#x99999999;") into a
// lone byte instead of U+FFFD, so a decoder can hand on bytes that are not UTF-8 however clean
// its input was (found by tests/fuzz). Every text field is checked once here and repaired
// (U+FFFD, counted in stats.replaced_sequences): the stages after decode only ever see UTF-8.
void RepairInvalidUtf8(std::string& text, std::size_t& replaced) {
  if (!FindInvalidUtf8(text)) return;
  std::size_t count = 0;
  text = ReplaceInvalidUtf8(text, &count);
  replaced += count;
}

void RepairInvalidUtf8(Article& article) {
  std::size_t& replaced = article.stats.replaced_sequences;
  for (std::string* text : {&article.title, &article.subtitle, &article.body, &article.language,
                            &article.url, &article.canonical_url, &article.publisher,
                            &article.published_time, &article.modified_time}) {
    RepairInvalidUtf8(*text, replaced);
  }
  for (Person& author : article.authors) {
    RepairInvalidUtf8(author.name, replaced);
    RepairInvalidUtf8(author.role, replaced);
  }
  for (std::string& section : article.sections) RepairInvalidUtf8(section, replaced);
  for (std::string& keyword : article.keywords) RepairInvalidUtf8(keyword, replaced);
  for (auto& [name, value] : article.metadata) RepairInvalidUtf8(value, replaced);
  for (QuestionAnswer& pair : article.faq) {
    RepairInvalidUtf8(pair.question, replaced);
    RepairInvalidUtf8(pair.answer, replaced);
  }
}

}  // namespace

Decoded Decode(const RawArticle& raw) { return Decode(raw, JsonFieldMapping{}); }

Decoded Decode(const RawArticle& raw, const JsonFieldMapping& json_fields,
               std::size_t max_articles) {
  const std::string_view bytes = raw.bytes;
  // The text decoder owns the wording of "empty input".
  if (bytes.empty()) return DecodeText(raw);

  const std::optional<InputFormat> declared_format = FormatFromContentType(raw.content_type);
  const std::optional<std::string> declared_charset = CharsetFromContentType(raw.content_type);
  InputFormat format = InputFormat::kText;
  Result<Utf8Text> utf8 = Utf8Text::Borrowed(bytes, "UTF-8", CharsetSource::kUtf8);
  const auto mark = FindByteOrderMark(bytes);
  if (mark && mark->charset != "UTF-8") {
    // UTF-16/32 must become UTF-8 before its '<' or '{' can be seen.
    utf8 = ToUtf8(bytes, CharsetSyntax::kPlain);
    if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
    format = declared_format ? *declared_format : SniffFormat(utf8->text());
  } else {
    // Sniffing before converting is only wrong for a declared UTF-16/32 without a mark, which is
    // sniffed again below; everything else sniffs the same as bytes and as UTF-8.
    format = declared_format ? *declared_format : SniffFormat(bytes);
    const bool markup = format == InputFormat::kHtml || format == InputFormat::kFeed;
    utf8 = ToUtf8(bytes, markup ? CharsetSyntax::kMarkup : CharsetSyntax::kPlain,
                  declared_charset ? std::string_view(*declared_charset) : std::string_view());
    if (!utf8) return tl::unexpected<Error>(std::move(utf8.error()));
    if (!declared_format && utf8->source() == CharsetSource::kContentType &&
        IsWideUnicode(utf8->charset())) {
      format = SniffFormat(utf8->text());
    }
  }

  const std::string charset = utf8->charset();
  const std::size_t replaced = utf8->replaced_sequences();
  Decoded decoded;
  switch (format) {
    case InputFormat::kHtml:
      decoded = DecodeHtml(raw, utf8->text());
      break;
    case InputFormat::kFeed:
      decoded = DecodeFeed(raw, utf8->text(), max_articles);
      break;
    case InputFormat::kJson:
      decoded = DecodeJson(raw, utf8->text(), json_fields, max_articles);
      break;
    case InputFormat::kJsonLines:
      decoded = DecodeJsonLines(raw, utf8->text(), json_fields, max_articles);
      break;
    case InputFormat::kText:
      decoded = DecodeTextItem(raw, std::move(*utf8));
      break;
  }
  if (!decoded) {
    if (declared_format) AppendDeclaredBy(decoded.error(), raw.content_type);
    return decoded;
  }
  for (auto& article : *decoded) {
    if (!article) continue;
    RepairInvalidUtf8(*article);
    article->charset = charset;
    // Whole-item replacements: an item's articles cannot tell whose bytes they were, so each
    // carries the item's count.
    article->stats.replaced_sequences += replaced;
  }
  return decoded;
}

}  // namespace newswire::pipeline
