#include "daemon/pipeline/encode/event_encoder.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// rapidjson::Writer with the rules of the event value built in: strings are made valid UTF-8
// (file paths are arbitrary bytes), optional strings are null when empty, numbers must be
// finite. A problem is recorded rather than thrown; Encode turns it into an error.
class JsonWriter {
 public:
  // The JSON is built in a rapidjson::StringBuffer, whose Writer copies unescaped runs 16 bytes
  // at a time (RAPIDJSON_SSE2, CMakeLists.txt), and copied into `output` once by Finish: one
  // copy of the value costs far less than appending it a byte at a time.
  JsonWriter(std::string& output, std::size_t capacity_bytes)
      : output_(output), buffer_(nullptr, capacity_bytes), writer_(buffer_) {}

  // Copies the JSON written so far into the output string.
  void Finish() { output_.assign(buffer_.GetString(), buffer_.GetSize()); }

  void StartObject() { writer_.StartObject(); }
  void EndObject() { writer_.EndObject(); }
  void StartArray() { writer_.StartArray(); }
  void EndArray() { writer_.EndArray(); }
  void Null() { writer_.Null(); }
  void Key(std::string_view key) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  }
  void Unsigned(std::uint64_t value) { writer_.Uint64(value); }
  void Bool(bool value) { writer_.Bool(value); }
  void Integer(std::int64_t value) { writer_.Int64(value); }

  void String(std::string_view text) {
    if (text.size() > std::numeric_limits<rapidjson::SizeType>::max()) {
      Fail(ErrorCode::kTooLarge,
           fmt::format("a string of {} bytes is too long for JSON output", text.size()));
      writer_.Null();
      return;
    }
    if (FindInvalidUtf8(text)) {
      const std::string repaired = ReplaceInvalidUtf8(text);
      writer_.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
      return;
    }
    writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }

  // Empty means unknown: written as null (docs/events.md, "Empty values").
  void OptionalString(std::string_view text) {
    if (text.empty()) {
      writer_.Null();
    } else {
      String(text);
    }
  }

  void Number(double value, std::string_view what) {
    if (!std::isfinite(value)) {
      Fail(ErrorCode::kInternal, fmt::format("{} is {}, not a finite number", what, value));
      writer_.Null();
      return;
    }
    writer_.Double(value);
  }

  // Trusted JSON text, embedded as is.
  void RawObject(std::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }

  void StringArray(const std::vector<std::string>& values) {
    writer_.StartArray();
    for (const auto& value : values) String(value);
    writer_.EndArray();
  }

  const std::optional<Error>& problem() const { return problem_; }
  bool IsComplete() const { return writer_.IsComplete(); }

 private:
  void Fail(ErrorCode code, std::string message) {
    if (!problem_) problem_ = Error{Stage::kEncode, code, std::move(message)};
  }

  std::string& output_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  std::optional<Error> problem_;
};

void WriteEvidence(JsonWriter& json, const Evidence& evidence) {
  json.StartObject();
  json.Key("field");
  json.String(evidence.field);
  json.Key("begin_offset");
  json.Unsigned(evidence.begin_offset);
  json.Key("end_offset");
  json.Unsigned(evidence.end_offset);
  json.Key("text");
  json.String(evidence.text);
  json.Key("rule_id");
  json.OptionalString(evidence.rule_id);
  json.EndObject();
}

void WriteEvidenceList(JsonWriter& json, const std::vector<Evidence>& evidence_list) {
  json.StartArray();
  for (const auto& evidence : evidence_list) WriteEvidence(json, evidence);
  json.EndArray();
}

void WriteTopic(JsonWriter& json, const TopicTag& topic) {
  json.StartObject();
  json.Key("scheme");
  json.String(topic.scheme);
  json.Key("code");
  json.String(topic.code);
  json.Key("label");
  json.String(topic.label);
  json.Key("score");
  json.Number(topic.score, fmt::format("the score of topic {}", topic.code));
  json.Key("ancestors");
  json.StringArray(topic.ancestors);
  json.Key("method");
  json.String(topic.method);
  json.Key("probability");
  json.Number(topic.probability, fmt::format("the probability of topic {}", topic.code));
  json.Key("evidence");
  WriteEvidenceList(json, topic.evidence);
  json.EndObject();
}

void WriteEntity(JsonWriter& json, const Entity& entity) {
  json.StartObject();
  json.Key("type");
  json.String(entity.type);
  json.Key("name");
  json.String(entity.name);
  json.Key("identifier");
  json.OptionalString(entity.identifier);
  json.Key("score");
  json.Number(entity.score, fmt::format("the score of entity {}", entity.name));
  json.Key("mentions");
  WriteEvidenceList(json, entity.mentions);
  json.Key("mention_count");
  json.Unsigned(entity.mention_count);
  json.Key("first_offset");
  json.Unsigned(entity.first_offset);
  json.Key("salience");
  json.Number(entity.salience, fmt::format("the salience of entity {}", entity.name));
  json.EndObject();
}

void WriteFingerprints(JsonWriter& json, const Fingerprints& fingerprints) {
  json.StartObject();
  json.Key("content_hash");
  json.String(fingerprints.content_hash);
  json.Key("revision");
  json.String(fingerprints.revision);
  json.Key("simhash");
  json.String(fmt::format("{:016x}", fingerprints.simhash));
  json.Key("duplicate_of");
  json.OptionalString(fingerprints.duplicate_of);
  json.Key("duplicate_distance");
  if (fingerprints.duplicate_of.empty() || fingerprints.duplicate_distance < 0) {
    json.Null();
  } else {
    json.Integer(fingerprints.duplicate_distance);
  }
  json.Key("story_id");
  json.OptionalString(fingerprints.story_id);
  json.EndObject();
}

void WriteStats(JsonWriter& json, const NormalizationStats& stats) {
  json.StartObject();
  json.Key("input_bytes");
  json.Unsigned(stats.input_bytes);
  json.Key("replaced_sequences");
  json.Unsigned(stats.replaced_sequences);
  json.Key("paragraphs");
  json.Unsigned(stats.paragraphs);
  json.Key("words");
  json.Unsigned(stats.words);
  json.Key("characters");
  json.Unsigned(stats.characters);
  json.Key("boilerplate_characters");
  json.Unsigned(stats.boilerplate_characters);
  json.EndObject();
}

void WriteSource(JsonWriter& json, const Origin& origin, std::size_t item_index) {
  json.StartObject();
  json.Key("kind");
  json.String(OriginKindName(origin.kind));
  json.Key("name");
  json.String(origin.source_name);
  json.Key("path");
  json.OptionalString(origin.path);
  json.Key("topic");
  json.OptionalString(origin.topic);
  json.Key("partition");
  if (origin.partition >= 0) {
    json.Integer(origin.partition);
  } else {
    json.Null();
  }
  json.Key("offset");
  if (origin.offset >= 0) {
    json.Integer(origin.offset);
  } else {
    json.Null();
  }
  json.Key("item_index");
  json.Unsigned(item_index);
  json.EndObject();
}

// Field order follows docs/events.md: what a consumer branches on first, then the content, the
// metadata, the tags, and where it came from.
void WriteArticle(JsonWriter& json, const Article& article) {
  json.StartObject();
  json.Key("schema_version");
  json.Integer(kEventSchemaVersion);
  json.Key("id");
  json.String(article.id);
  json.Key("format");
  json.String(article.format);
  json.Key("title");
  json.String(article.flags.title_derived ? article.derived_title : article.title);
  json.Key("subtitle");
  json.OptionalString(article.subtitle);
  json.Key("body");
  json.String(article.body);
  json.Key("language");
  json.OptionalString(article.language);
  json.Key("language_confidence");
  json.Number(article.language_confidence, "language_confidence");
  json.Key("charset");
  json.OptionalString(article.charset);
  json.Key("url");
  json.OptionalString(article.url);
  json.Key("canonical_url");
  json.OptionalString(article.canonical_url);
  json.Key("authors");
  json.StartArray();
  for (const auto& author : article.authors) {
    json.StartObject();
    json.Key("name");
    json.OptionalString(author.name);
    json.Key("role");
    json.OptionalString(author.role);
    json.EndObject();
  }
  json.EndArray();
  json.Key("publisher");
  json.OptionalString(article.publisher);
  json.Key("published_time");
  json.OptionalString(article.published_time);
  json.Key("modified_time");
  json.OptionalString(article.modified_time);
  json.Key("sections");
  json.StringArray(article.sections);
  json.Key("keywords");
  json.StringArray(article.keywords);
  json.Key("metadata");
  json.StartObject();
  for (const auto& [name, value] : article.metadata) {
    json.Key(name);
    json.String(value);
  }
  json.EndObject();
  json.Key("provenance");
  json.StartObject();
  for (const auto& [field, origin] : article.provenance) {
    json.Key(field);
    json.String(origin);
  }
  json.EndObject();
  json.Key("faq");
  json.StartArray();
  for (const auto& pair : article.faq) {
    json.StartObject();
    json.Key("question");
    json.String(pair.question);
    json.Key("answer");
    json.String(pair.answer);
    json.EndObject();
  }
  json.EndArray();
  json.Key("flags");
  json.StartObject();
  json.Key("paywall");
  json.Bool(article.flags.paywall);
  json.Key("truncated");
  json.Bool(article.flags.truncated);
  json.Key("faq");
  json.Bool(article.flags.faq);
  json.Key("title_derived");
  json.Bool(article.flags.title_derived);
  json.EndObject();
  json.Key("topics");
  json.StartArray();
  for (const auto& topic : article.topics) WriteTopic(json, topic);
  json.EndArray();
  json.Key("entities");
  json.StartArray();
  for (const auto& entity : article.entities) WriteEntity(json, entity);
  json.EndArray();
  json.Key("primary_country");
  json.OptionalString(article.primary_country);
  json.Key("primary_region");
  json.OptionalString(article.primary_region);
  json.Key("fingerprints");
  WriteFingerprints(json, article.fingerprints);
  json.Key("stats");
  WriteStats(json, article.stats);
  json.Key("source");
  WriteSource(json, article.origin, article.item_index);
  json.EndObject();
}

// Enough for the text plus the fixed fields, so the value rarely reallocates while written.
std::size_t EstimateValueBytes(const Article& article) {
  constexpr std::size_t kFixedFieldsBytes = 1024;
  std::size_t text_bytes = article.title.size() + article.derived_title.size() +
                           article.subtitle.size() + article.body.size();
  for (const auto& pair : article.faq) text_bytes += pair.question.size() + pair.answer.size();
  return text_bytes + text_bytes / 16 + article.origin.path.size() + kFixedFieldsBytes;
}

bool IsUnreservedUriCharacter(char character) {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
         (character >= '0' && character <= '9') || character == '-' || character == '.' ||
         character == '_' || character == '~';
}

// ce_source must be a URI reference; a source name is whatever the operator configured.
void AppendPercentEncoded(std::string& target, std::string_view text) {
  for (const char character : text) {
    if (IsUnreservedUriCharacter(character)) {
      target.push_back(character);
    } else {
      target.append(fmt::format("%{:02X}", static_cast<unsigned char>(character)));
    }
  }
}

std::string EventSource(std::string_view source_uri, std::string_view source_name) {
  while (source_uri.ends_with('/')) source_uri.remove_suffix(1);
  constexpr std::string_view kSourcesSegment = "/sources/";
  std::string source;
  source.reserve(source_uri.size() + kSourcesSegment.size() + source_name.size());
  source.append(source_uri);
  source.append(kSourcesSegment);
  AppendPercentEncoded(source, source_name);
  return source;
}

// The file's base name for file input, "topic[partition]@offset" for a Kafka record, else the
// article's url; "" when there is none.
std::string EventSubject(const Article& article) {
  if (article.origin.kind == Origin::Kind::kKafka && !article.origin.topic.empty()) {
    return fmt::format("{}[{}]@{}", ReplaceInvalidUtf8(article.origin.topic),
                       article.origin.partition, article.origin.offset);
  }
  if (article.origin.kind == Origin::Kind::kFile) {
    std::string_view path = article.origin.path;
    if (const std::size_t slash = path.rfind('/'); slash != std::string_view::npos) {
      path.remove_prefix(slash + 1);
    }
    if (!path.empty()) return ReplaceInvalidUtf8(path);
  }
  return ReplaceInvalidUtf8(article.url);
}

}  // namespace

std::string FormatEventTime(std::chrono::system_clock::time_point time) {
  using std::chrono::days;
  using std::chrono::milliseconds;
  const auto time_milliseconds = std::chrono::floor<milliseconds>(time);
  const auto day = std::chrono::floor<days>(time_milliseconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time_of_day(time_milliseconds - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time_of_day.hours().count(), time_of_day.minutes().count(),
                     time_of_day.seconds().count(), time_of_day.subseconds().count());
}

Result<OutboundEvent> Encode(const Article& article, const EncodeOptions& options,
                             std::chrono::system_clock::time_point now) {
  if (article.id.empty() || article.fingerprints.revision.empty()) {
    return MakeError(Stage::kEncode, ErrorCode::kInvalidArgument,
                     "the article has no id or revision; Normalize must run before Encode");
  }

  OutboundEvent event;
  event.channel = Channel::kEvents;
  event.key = article.id;
  {
    JsonWriter json(event.value, EstimateValueBytes(article));
    WriteArticle(json, article);
    if (json.problem()) return tl::unexpected<Error>(*json.problem());
    if (!json.IsComplete()) {
      return MakeError(Stage::kEncode, ErrorCode::kInternal, "the event value JSON is incomplete");
    }
    json.Finish();
  }

  std::string subject = EventSubject(article);
  event.headers.reserve(7);
  event.headers.emplace_back("ce_specversion", "1.0");
  event.headers.emplace_back("ce_id", article.fingerprints.revision);
  event.headers.emplace_back("ce_source",
                             EventSource(options.source_uri, article.origin.source_name));
  event.headers.emplace_back("ce_type", kArticleEventType);
  event.headers.emplace_back("ce_time", FormatEventTime(now));
  if (!subject.empty()) event.headers.emplace_back("ce_subject", std::move(subject));
  event.headers.emplace_back("content-type", "application/json");
  return event;
}

std::string EventToJsonLine(const OutboundEvent& event) {
  constexpr std::size_t kEnvelopeBytes = 512;
  std::string line;
  JsonWriter json(line, event.value.size() + event.key.size() + kEnvelopeBytes);
  json.StartObject();
  json.Key("channel");
  switch (event.channel) {
    case Channel::kEvents:
      json.String("events");
      break;
    case Channel::kDeadLetter:
      json.String("dead_letter");
      break;
    case Channel::kRoute:
      json.String("route");
      json.Key("route_topic");
      json.String(event.topic);
      break;
    case Channel::kForward:
      json.String("forward");
      json.Key("topic");
      json.String(event.topic);
      break;
  }
  json.Key("key");
  json.String(event.key);
  json.Key("headers");
  json.StartObject();
  for (const auto& [name, value] : event.headers) {
    json.Key(name);
    json.String(value);
  }
  json.EndObject();
  json.Key("value");
  // Events are JSON; dead letters and forwarded items carry the input's bytes.
  if ((event.channel == Channel::kEvents || event.channel == Channel::kRoute) &&
      !event.value.empty()) {
    json.RawObject(event.value);
  } else {
    json.String(event.value);
  }
  json.EndObject();
  json.Finish();
  return line;
}

}  // namespace newswire::pipeline
