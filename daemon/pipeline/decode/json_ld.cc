#include "daemon/pipeline/decode/json_ld.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "daemon/pipeline/decode/markup_text.h"

namespace newswire::pipeline {
namespace {

// Iterative: a hostile block of nested brackets cannot overflow a worker's stack. Trailing commas
// and comments: hand-edited blocks in dumps have them, and refusing them would lose the metadata.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
    rapidjson::kParseTrailingCommasFlag | rapidjson::kParseCommentsFlag;

// 3 when a typographic double quote (U+201C, U+201D, U+201E, U+201F, U+2033) starts at `index`.
std::size_t TypographicQuoteLength(std::string_view text, std::size_t index) {
  if (index + 3 > text.size() || text[index] != '\xE2') return 0;
  const char second = text[index + 1];
  const char third = text[index + 2];
  if (second == '\x80' && (third == '\x9C' || third == '\x9D' || third == '\x9E' ||
                           third == '\x9F' || third == '\xB3')) {
    return 3;
  }
  return 0;
}

bool IsJsonSpace(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\r';
}

// Whether a quote ending at `after` closes a string opened by a typographic quote: only when
// JSON structure follows, since the same characters also quote words inside a value.
bool ClosesTypographicString(std::string_view text, std::size_t after) {
  while (after < text.size() && IsJsonSpace(text[after])) ++after;
  return after == text.size() || text[after] == ':' || text[after] == ',' || text[after] == '}' ||
         text[after] == ']';
}

// A string's kind while scanning: how it was opened decides how it closes.
enum class StringKind { kNone, kAscii, kTypographic };

// One step of the string-aware scan shared by RepairJsonQuotes and FindJsonValueEnd: the length
// of the token at `index` and how it changes `kind`. `quote` is set when the token is a string
// delimiter; `literal_quote` when it is a quote character that is text inside a string.
struct ScanStep {
  std::size_t length = 1;
  bool quote = false;
  bool literal_quote = false;
};

ScanStep Step(std::string_view text, std::size_t index, StringKind& kind) {
  ScanStep step;
  const std::size_t typographic = TypographicQuoteLength(text, index);
  const char character = text[index];
  switch (kind) {
    case StringKind::kNone:
      if (character == '"') {
        kind = StringKind::kAscii;
        step.quote = true;
      } else if (typographic != 0) {
        kind = StringKind::kTypographic;
        step.quote = true;
        step.length = typographic;
      }
      break;
    case StringKind::kAscii:
      if (character == '\\') {
        step.length = std::min<std::size_t>(2, text.size() - index);
      } else if (character == '"') {
        kind = StringKind::kNone;
        step.quote = true;
      }
      break;
    case StringKind::kTypographic:
      if (character == '\\') {
        step.length = std::min<std::size_t>(2, text.size() - index);
      } else if (character == '"' || typographic != 0) {
        step.length = typographic != 0 ? typographic : 1;
        if (ClosesTypographicString(text, index + step.length)) {
          kind = StringKind::kNone;
          step.quote = true;
        } else {
          step.literal_quote = true;
        }
      }
      break;
  }
  return step;
}

bool IsArticleType(std::string_view type) {
  return type.ends_with("Article") || type.ends_with("Posting") || type == "Report";
}

// "schema:NewsArticle" and "https://schema.org/NewsArticle" are NewsArticle.
std::string_view LocalTypeName(std::string_view type) {
  if (const std::size_t cut = type.find_last_of("/:#"); cut != std::string_view::npos) {
    type.remove_prefix(cut + 1);
  }
  return type;
}

std::string_view StringOf(const rapidjson::Value& value) {
  return value.IsString() ? std::string_view(value.GetString(), value.GetStringLength())
                          : std::string_view();
}

std::string_view MemberString(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto member = object.FindMember(name);
  return member == object.MemberEnd() ? std::string_view() : StringOf(member->value);
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto member = object.FindMember(name);
  return member == object.MemberEnd() ? nullptr : &member->value;
}

std::vector<std::string_view> TypesOf(const rapidjson::Value& node) {
  std::vector<std::string_view> types;
  const rapidjson::Value* type = Member(node, "@type");
  if (type == nullptr) return types;
  if (type->IsString()) {
    types.push_back(LocalTypeName(StringOf(*type)));
  } else if (type->IsArray()) {
    for (const auto& element : type->GetArray()) {
      if (element.IsString()) types.push_back(LocalTypeName(StringOf(element)));
    }
  }
  return types;
}

bool HasType(const std::vector<std::string_view>& types, bool (*predicate)(std::string_view)) {
  return std::any_of(types.begin(), types.end(), predicate);
}

// Answer texts are often HTML ("<p>Yes.</p>"); the article model holds plain text. Tags become a
// space and runs of ASCII whitespace one space; the normalizer does the Unicode rest.
std::string PlainText(std::string_view text) {
  std::string plain;
  plain.reserve(text.size());
  bool in_tag = false;
  bool pending_space = false;
  for (const char character : text) {
    if (in_tag) {
      if (character == '>') {
        in_tag = false;
        pending_space = !plain.empty();
      }
      continue;
    }
    if (character == '<') {
      in_tag = true;
      continue;
    }
    if (IsJsonSpace(character)) {
      pending_space = !plain.empty();
      continue;
    }
    if (pending_space) plain.push_back(' ');
    pending_space = false;
    plain.push_back(character);
  }
  return plain;
}

void AddPerson(const rapidjson::Value& value, std::vector<Person>& people) {
  Person person;
  if (value.IsString()) {
    person.name = PlainText(StringOf(value));
  } else if (value.IsObject()) {
    person.name = PlainText(MemberString(value, "name"));
    person.role = PlainText(MemberString(value, "jobTitle"));
  }
  if (person.name.empty() && person.role.empty()) return;
  const bool seen = std::any_of(people.begin(), people.end(), [&](const Person& other) {
    return other.name == person.name && other.role == person.role;
  });
  if (!seen) people.push_back(std::move(person));
}

std::string NameOf(const rapidjson::Value& value) {
  if (value.IsString()) return PlainText(StringOf(value));
  if (value.IsObject()) return PlainText(MemberString(value, "name"));
  if (value.IsArray() && !value.Empty()) return NameOf(value[0]);
  return {};
}

void SetIfEmpty(std::string& field, std::string value) {
  if (field.empty()) field = std::move(value);
}

void ReadArticleNode(const rapidjson::Value& node, JsonLdInfo& info) {
  std::string_view headline = MemberString(node, "headline");
  if (headline.empty()) headline = MemberString(node, "name");
  SetIfEmpty(info.headline, PlainText(headline));
  if (info.authors.empty()) {
    if (const rapidjson::Value* author = Member(node, "author")) {
      if (author->IsArray()) {
        for (const auto& element : author->GetArray()) AddPerson(element, info.authors);
      } else {
        AddPerson(*author, info.authors);
      }
    }
  }
  if (const rapidjson::Value* publisher = Member(node, "publisher")) {
    SetIfEmpty(info.publisher, NameOf(*publisher));
  }
  if (info.published_time.empty()) {
    info.published_time = NormalizeDate(MemberString(node, "datePublished")).value_or("");
  }
  if (info.modified_time.empty()) {
    info.modified_time = NormalizeDate(MemberString(node, "dateModified")).value_or("");
  }
  SetIfEmpty(info.description, PlainText(MemberString(node, "description")));
}

void ReadQuestion(const rapidjson::Value& question, JsonLdInfo& info) {
  if (!question.IsObject()) return;
  std::string_view asked = MemberString(question, "name");
  if (asked.empty()) asked = MemberString(question, "text");
  const rapidjson::Value* answer = Member(question, "acceptedAnswer");
  if (answer != nullptr && answer->IsArray()) answer = answer->Empty() ? nullptr : &(*answer)[0];
  if (asked.empty() || answer == nullptr) return;
  QuestionAnswer pair{PlainText(asked), PlainText(MemberString(*answer, "text"))};
  if (!pair.question.empty() && !pair.answer.empty()) info.faq.push_back(std::move(pair));
}

void ReadFaqNode(const rapidjson::Value& node, JsonLdInfo& info) {
  const rapidjson::Value* entity = Member(node, "mainEntity");
  if (entity == nullptr) return;
  if (entity->IsArray()) {
    for (const auto& question : entity->GetArray()) ReadQuestion(question, info);
  } else {
    ReadQuestion(*entity, info);
  }
}

// Top-level objects, array elements and @graph members: where schema.org puts its nodes.
void CollectNodes(const rapidjson::Value& value, std::vector<const rapidjson::Value*>& nodes) {
  auto add_object = [&nodes](const rapidjson::Value& object) {
    if (!object.IsObject()) return;
    nodes.push_back(&object);
    if (const rapidjson::Value* graph = Member(object, "@graph"); graph && graph->IsArray()) {
      for (const auto& member : graph->GetArray()) {
        if (member.IsObject()) nodes.push_back(&member);
      }
    }
  };
  if (value.IsArray()) {
    for (const auto& element : value.GetArray()) add_object(element);
  } else {
    add_object(value);
  }
}

}  // namespace

std::string RepairJsonQuotes(std::string_view json) {
  std::string repaired;
  repaired.reserve(json.size());
  StringKind kind = StringKind::kNone;
  std::size_t index = 0;
  while (index < json.size()) {
    const StringKind before = kind;
    const ScanStep step = Step(json, index, kind);
    const std::string_view token = json.substr(index, step.length);
    index += step.length;
    if (step.quote) {
      repaired.push_back('"');
    } else if (step.literal_quote && token == "\"") {
      repaired.append("\\\"");
    } else if (before == StringKind::kTypographic && token.size() == 1 &&
               static_cast<unsigned char>(token[0]) < 0x20) {
      switch (token[0]) {
        case '\n':
          repaired.append("\\n");
          break;
        case '\t':
          repaired.append("\\t");
          break;
        case '\r':
          repaired.append("\\r");
          break;
        default:
          repaired.append(fmt::format("\\u{:04x}", static_cast<unsigned>(token[0])));
      }
    } else {
      repaired.append(token);
    }
  }
  return repaired;
}

std::optional<std::size_t> FindJsonValueEnd(std::string_view json) {
  if (json.empty() || (json[0] != '{' && json[0] != '[')) return std::nullopt;
  StringKind kind = StringKind::kNone;
  std::size_t depth = 0;
  std::size_t index = 0;
  while (index < json.size()) {
    const bool outside = kind == StringKind::kNone;
    const char character = json[index];
    const ScanStep step = Step(json, index, kind);
    index += step.length;
    if (!outside || step.quote) continue;
    if (character == '{' || character == '[') {
      ++depth;
    } else if (character == '}' || character == ']') {
      if (depth == 0) return std::nullopt;
      if (--depth == 0) return index;
    }
  }
  return std::nullopt;
}

Result<JsonLdInfo> ParseJsonLd(std::string_view json) {
  const std::string repaired = RepairJsonQuotes(json);
  rapidjson::Document document;
  document.Parse<kParseFlags>(repaired.data(), repaired.size());
  if (document.HasParseError()) {
    return MakeError(Stage::kDecode, ErrorCode::kInvalidArgument,
                     fmt::format("JSON-LD is not JSON: {} at byte {}",
                                 rapidjson::GetParseError_En(document.GetParseError()),
                                 document.GetErrorOffset()));
  }
  std::vector<const rapidjson::Value*> nodes;
  CollectNodes(document, nodes);
  if (nodes.empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kInvalidArgument,
                     "JSON-LD holds no object: expected an object, an array of objects or @graph");
  }

  JsonLdInfo info;
  const rapidjson::Value* page = nullptr;
  bool have_article = false;
  for (const rapidjson::Value* node : nodes) {
    const std::vector<std::string_view> types = TypesOf(*node);
    for (const std::string_view type : types) info.types.emplace_back(type);
    if (HasType(types, IsArticleType)) {
      ReadArticleNode(*node, info);
      have_article = true;
    } else if (HasType(types, [](std::string_view type) { return type == "FAQPage"; })) {
      ReadFaqNode(*node, info);
    } else if (page == nullptr &&
               HasType(types, [](std::string_view type) { return type == "WebPage"; })) {
      page = node;
    }
  }
  // A page without an article node still names its headline, dates and publisher.
  if (!have_article && page != nullptr) ReadArticleNode(*page, info);
  return info;
}

}  // namespace newswire::pipeline
