#include "daemon/pipeline/decode/html_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/pipeline/decode/html_extractor.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// Far above any article page (the largest benchmark page is ~2 MB). Beyond it gumbo's tree costs
// tens of bytes per input byte, which one hostile item should not be able to claim.
constexpr std::size_t kMaxHtmlBytes = 16U << 20U;

// A byline the markup does not mark ("<p>By Jane Smith</p>", "By Ann Lee and Bo Li, Reuters"):
// one of the first two `paragraphs` or the last one, by the text dumps' rule (ParseByline), which
// refuses sentences ("By Tuesday the river had risen") and lines with words that cannot be names.
// Such a paragraph leaves `paragraphs` (at least one stays) and its people are returned, head
// byline first. A "By ..." paragraph in the middle of the text is article text and stays.
std::vector<Person> TakeBylineParagraphs(std::vector<std::string_view>& paragraphs) {
  if (paragraphs.size() < 2) return {};
  std::vector<Person> people;
  std::vector<bool> taken(paragraphs.size(), false);
  auto take = [&](std::size_t index) {
    auto found = ParseByline(paragraphs[index]);
    if (!found) return false;
    for (Person& person : *found) {
      const bool known = std::any_of(people.begin(), people.end(), [&](const Person& other) {
        return other.name == person.name && other.role == person.role;
      });
      if (!known) people.push_back(std::move(person));
    }
    taken[index] = true;
    return true;
  };
  constexpr std::size_t kHeadParagraphs = 2;
  for (std::size_t index = 0; index < kHeadParagraphs && index + 1 < paragraphs.size(); ++index) {
    if (take(index)) break;
  }
  const std::size_t last = paragraphs.size() - 1;
  const auto kept = std::count(taken.begin(), taken.end(), false);
  if (!taken[last] && kept > 1) take(last);
  if (people.empty()) return people;

  std::vector<std::string_view> left;
  for (std::size_t index = 0; index < paragraphs.size(); ++index) {
    if (!taken[index]) left.push_back(paragraphs[index]);
  }
  paragraphs = std::move(left);
  return people;
}

}  // namespace

Result<std::vector<Result<Article>>> DecodeHtml(const RawArticle& raw, std::string_view utf8_text) {
  if (TrimSpace(utf8_text).empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("empty HTML page: {} bytes of whitespace", utf8_text.size()));
  }
  if (utf8_text.size() > kMaxHtmlBytes) {
    return MakeError(Stage::kDecode, ErrorCode::kTooLarge,
                     fmt::format("HTML page of {} bytes is over the limit of {} bytes",
                                 utf8_text.size(), kMaxHtmlBytes));
  }
  // The caller converts to UTF-8, but a page that lies about its charset still must not put
  // ill-formed bytes into an event; NUL is a parse error in HTML5 and never text.
  std::size_t replaced = 0;
  std::string cleaned;
  std::string_view html = utf8_text;
  if (FindInvalidUtf8(html)) {
    cleaned = ReplaceInvalidUtf8(html, &replaced);
    html = cleaned;
  }
  if (html.find('\0') != std::string_view::npos) {
    std::string without_nul(html);
    std::erase(without_nul, '\0');
    cleaned = std::move(without_nul);
    html = cleaned;
  }

  HtmlExtraction extraction = ExtractHtml(html);
  if (extraction.paragraphs.empty()) {
    return MakeError(
        Stage::kDecode, ErrorCode::kEmptyInput,
        fmt::format("no article text found in the HTML page ({} bytes)", utf8_text.size()));
  }

  Article article;
  article.origin = raw.origin;
  article.format = "html";
  article.title = std::move(extraction.title);
  for (std::string& paragraph : extraction.paragraphs) {
    if (!article.body.empty()) article.body.append("\n\n");
    article.body.append(paragraph);
  }
  article.language = std::move(extraction.language);
  article.url = std::move(extraction.url);
  article.canonical_url = std::move(extraction.canonical_url);
  for (std::string& name : extraction.authors) article.authors.push_back({std::move(name), {}});
  article.publisher = std::move(extraction.publisher);
  article.published_time = std::move(extraction.published_time);
  article.modified_time = std::move(extraction.modified_time);
  article.sections = std::move(extraction.sections);
  article.keywords = std::move(extraction.keywords);
  if (!extraction.description.empty()) {
    article.metadata["description"] = std::move(extraction.description);
  }
  if (extraction.depth_limited) article.metadata["html_nesting_limited"] = "true";
  article.provenance = std::move(extraction.provenance);
  article.provenance["body"] = "heuristic";
  article.stats.input_bytes = raw.bytes.empty() ? utf8_text.size() : raw.bytes.size();
  article.stats.replaced_sequences = replaced;
  article.stats.boilerplate_characters = extraction.boilerplate_characters;
  // Furniture the markup does not mark (a "Leave a Comment" paragraph, a "Read more" line)
  // leaves by the same line rules as in the other formats (RemoveFurniture, with a step of its
  // own between splitting and joining the body).
  std::vector<std::string_view> paragraphs = BodyLines(article.body);
  RemoveFurnitureLines(paragraphs, article);
  // After the furniture, so that a byline above a "Share this" block counts as the last
  // paragraph. Authors the page declares (JSON-LD, <meta>) win; the paragraph leaves either way.
  std::vector<Person> people = TakeBylineParagraphs(paragraphs);
  article.body = JoinParagraphs(paragraphs);
  if (!people.empty() && article.authors.empty()) {
    article.authors = std::move(people);
    article.provenance["authors"] = "byline";
  }

  std::vector<Result<Article>> articles;
  articles.emplace_back(std::move(article));
  return articles;
}

}  // namespace newswire::pipeline
