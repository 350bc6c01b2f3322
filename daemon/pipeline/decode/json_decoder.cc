#include "daemon/pipeline/decode/json_decoder.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "daemon/pipeline/decode/markup_text.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";
// Real article objects nest a few levels (author objects, image lists); a thousand-deep array
// is an attack on the parser's memory.
constexpr std::size_t kMaxNestingDepth = 64;
// The iterative parser never recurses, so deep nesting cannot overflow the stack; UTF-8 is
// validated again because the caller's conversion is not trusted with strings it did not make.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

std::string_view TypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

// The deepest nesting of arrays and objects in `text`, stopping early past `limit`. One linear
// pass that skips strings, so it runs before the parser allocates anything.
std::size_t NestingDepth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char c = text[index];
    if (in_string) {
      if (c == '\\') {
        ++index;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string_view AsView(const rapidjson::Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

// The first member named in `names` whose value satisfies `usable`; duplicate keys resolve to
// their first occurrence because FindMember returns the first match.
template <typename Predicate>
const rapidjson::Value* FindField(const rapidjson::Value& object,
                                  const std::vector<std::string>& names, Predicate usable) {
  for (const std::string& name : names) {
    const auto member = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (member != object.MemberEnd() && usable(member->value)) return &member->value;
  }
  return nullptr;
}

const rapidjson::Value* FindString(const rapidjson::Value& object,
                                   const std::vector<std::string>& names) {
  return FindField(object, names, [](const rapidjson::Value& value) { return value.IsString(); });
}

// JSON strings may hold "\u0000"; a NUL has no business in article text.
std::string WithoutNul(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c != '\0') out.push_back(c);
  }
  return out;
}

std::string BodyText(const rapidjson::Value& value, std::size_t& boilerplate_characters) {
  if (value.IsString()) return FragmentText(WithoutNul(AsView(value)), boilerplate_characters);
  std::string body;
  for (const auto& paragraph : value.GetArray()) {
    if (!paragraph.IsString()) continue;
    if (!body.empty()) body.append("\n\n");
    body.append(FragmentText(WithoutNul(AsView(paragraph)), boilerplate_characters));
  }
  return body;
}

void AddAuthor(const rapidjson::Value& value, std::vector<Person>& authors) {
  const rapidjson::Value* name = nullptr;
  if (value.IsString()) {
    name = &value;
  } else if (value.IsObject()) {
    const auto member = value.FindMember("name");
    if (member != value.MemberEnd() && member->value.IsString()) name = &member->value;
  }
  if (name == nullptr) return;
  std::string text(TrimSpace(WithoutNul(AsView(*name))));
  if (!text.empty()) authors.push_back(Person{std::move(text), {}});
}

Result<Article> ArticleFromObject(const RawArticle& raw, const rapidjson::Value& object,
                                  const JsonFieldMapping& mapping, std::string_view format,
                                  std::size_t item_index, std::size_t input_bytes,
                                  std::string_view where) {
  if (!object.IsObject()) {
    return MakeError(
        Stage::kDecode, ErrorCode::kUnsupportedFormat,
        fmt::format("{}: expected a JSON object (one article), found {}", where, TypeName(object)));
  }
  Article article;
  article.origin = raw.origin;
  article.format = std::string(format);
  article.item_index = item_index;
  article.stats.input_bytes = input_bytes;

  if (const auto* title = FindString(object, mapping.title)) {
    article.title = WithoutNul(AsView(*title));
    article.provenance["title"] = "json";
  }
  const auto* body = FindField(object, mapping.body, [](const rapidjson::Value& value) {
    return value.IsString() || value.IsArray();
  });
  if (body != nullptr) {
    article.body = BodyText(*body, article.stats.boilerplate_characters);
    RemoveFurniture(article.body, article);
    if (!article.body.empty()) article.provenance["body"] = "json";
  }
  if (const auto* url = FindString(object, mapping.url)) {
    article.url = std::string(TrimSpace(WithoutNul(AsView(*url))));
    article.provenance["url"] = "json";
  }
  if (const auto* language = FindString(object, mapping.language)) {
    article.language = std::string(TrimSpace(WithoutNul(AsView(*language))));
    article.provenance["language"] = "json";
  }
  const auto* author = FindField(object, mapping.author, [](const rapidjson::Value& value) {
    return value.IsString() || value.IsObject() || value.IsArray();
  });
  if (author != nullptr) {
    if (author->IsArray()) {
      for (const auto& element : author->GetArray()) AddAuthor(element, article.authors);
    } else {
      AddAuthor(*author, article.authors);
    }
    if (!article.authors.empty()) article.provenance["authors"] = "json";
  }
  if (const auto* published = FindString(object, mapping.published)) {
    const std::string text = WithoutNul(AsView(*published));
    if (auto date = NormalizeDate(text)) {
      article.published_time = std::move(*date);
      article.provenance["published_time"] = "json";
    } else if (!TrimSpace(text).empty()) {
      article.metadata["published_raw"] = text;
    }
  }

  if (TrimSpace(article.title).empty() && TrimSpace(article.body).empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("{}: the article object has neither a title nor a body", where));
  }
  return article;
}

std::string ParseErrorText(const rapidjson::Document& document) {
  return rapidjson::GetParseError_En(document.GetParseError());
}

}  // namespace

Result<std::vector<Result<Article>>> DecodeJson(const RawArticle& raw, std::string_view utf8_text,
                                                const JsonFieldMapping& mapping,
                                                std::size_t max_articles) {
  std::string_view text = utf8_text;
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());
  if (TrimSpace(text).empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("empty input: no JSON in {} bytes", utf8_text.size()));
  }
  if (NestingDepth(text, kMaxNestingDepth) > kMaxNestingDepth) {
    return MakeError(Stage::kDecode, ErrorCode::kTooLarge,
                     fmt::format("JSON nested deeper than {} levels; an article object needs a "
                                 "few",
                                 kMaxNestingDepth));
  }
  rapidjson::Document document;
  document.Parse<kParseFlags>(text.data(), text.size());
  if (document.HasParseError()) {
    return MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                     fmt::format("invalid JSON at byte {}: {}", document.GetErrorOffset(),
                                 ParseErrorText(document)));
  }

  std::vector<Result<Article>> articles;
  if (document.IsObject()) {
    articles.push_back(
        ArticleFromObject(raw, document, mapping, "json", 0, utf8_text.size(), "the document"));
    return articles;
  }
  if (!document.IsArray()) {
    return MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                     fmt::format("the JSON document is {}; expected an article object or an "
                                 "array of them",
                                 TypeName(document)));
  }
  if (document.Empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     "the JSON document is an empty array: no articles");
  }
  if (document.Size() > max_articles) return TooManyArticles(document.Size(), max_articles);
  articles.reserve(document.Size());
  for (rapidjson::SizeType index = 0; index < document.Size(); ++index) {
    articles.push_back(ArticleFromObject(raw, document[index], mapping, "json", index,
                                         utf8_text.size(), fmt::format("element {}", index)));
  }
  return articles;
}

Result<std::vector<Result<Article>>> DecodeJsonLines(const RawArticle& raw,
                                                     std::string_view utf8_text,
                                                     const JsonFieldMapping& mapping,
                                                     std::size_t max_articles) {
  std::string_view text = utf8_text;
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());
  // Lines are counted exactly (blank ones skipped) only when the newlines alone could exceed the
  // limit, so the common item is not walked twice.
  const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  if (newlines >= max_articles) {
    std::size_t lines = 0;
    for (std::size_t begin = 0; begin < text.size();) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      if (!TrimSpace(text.substr(begin, end - begin)).empty()) ++lines;
      begin = end + 1;
    }
    if (lines > max_articles) return TooManyArticles(lines, max_articles);
  }

  std::vector<Result<Article>> articles;
  std::size_t line_index = 0;
  for (std::size_t begin = 0; begin < text.size(); ++line_index) {
    const std::size_t newline = text.find('\n', begin);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty()) continue;

    const std::size_t line_number = line_index + 1;
    const std::string where = fmt::format("line {}", line_number);
    if (NestingDepth(trimmed, kMaxNestingDepth) > kMaxNestingDepth) {
      articles.push_back(
          MakeError(Stage::kDecode, ErrorCode::kTooLarge,
                    fmt::format("{}: JSON nested deeper than {} levels", where, kMaxNestingDepth)));
      continue;
    }
    rapidjson::Document document;
    document.Parse<kParseFlags>(trimmed.data(), trimmed.size());
    if (document.HasParseError()) {
      articles.push_back(
          MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                    fmt::format("{}: invalid JSON at column {}: {}", where,
                                document.GetErrorOffset() + 1 + (trimmed.data() - line.data()),
                                ParseErrorText(document))));
      continue;
    }
    articles.push_back(
        ArticleFromObject(raw, document, mapping, "jsonl", line_index, line.size(), where));
  }
  if (articles.empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("empty input: no JSON Lines in {} bytes", utf8_text.size()));
  }
  return articles;
}

}  // namespace newswire::pipeline
