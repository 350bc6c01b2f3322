#include "daemon/app/event_digest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <utility>

namespace newswire::app {
namespace {

std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return {};
  return {member->value.GetString(), member->value.GetStringLength()};
}

// Entity types in the order they are shown, with their plural; others follow by name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kKnownTypes = {{
    {"country", "countries"},
    {"person", "people"},
    {"organization", "organizations"},
    {"place", "places"},
    {"location", "locations"},
}};

std::string Plural(std::string_view type) {
  for (const auto& [known, plural] : kKnownTypes) {
    if (known == type) return std::string(plural);
  }
  return fmt::format("{}s", type);
}

std::size_t TypeRank(std::string_view type) {
  for (std::size_t rank = 0; rank < kKnownTypes.size(); ++rank) {
    if (kKnownTypes[rank].first == type) return rank;
  }
  return kKnownTypes.size();
}

std::string ListText(const EventDigest::List& list) {
  std::string text = fmt::format("{}", fmt::join(list.items, ", "));
  if (list.count > list.items.size()) {
    text += fmt::format(", +{} more", list.count - list.items.size());
  }
  return text;
}

}  // namespace

std::optional<EventDigest> DigestEvent(std::string_view value, std::size_t max_items) {
  rapidjson::Document event;
  event.Parse(value.data(), value.size());
  if (event.HasParseError() || !event.IsObject()) return std::nullopt;
  EventDigest digest;
  digest.title = StringMember(event, "title");
  digest.published_time = StringMember(event, "published_time");
  const auto add = [max_items](EventDigest::List& list, std::string item) {
    ++list.count;
    if (list.items.size() < max_items) list.items.push_back(std::move(item));
  };
  if (event.HasMember("topics") && event["topics"].IsArray()) {
    for (const auto& topic : event["topics"].GetArray()) {
      // A value that is not a newswire event may hold anything here.
      if (!topic.IsObject()) continue;
      std::string label = StringMember(topic, "label");
      std::string text = label.empty() ? StringMember(topic, "code") : std::move(label);
      if (topic.HasMember("score") && topic["score"].IsNumber()) {
        text += fmt::format(" ({:.2f})", topic["score"].GetDouble());
      }
      add(digest.topics, std::move(text));
    }
  }
  if (event.HasMember("entities") && event["entities"].IsArray()) {
    for (const auto& entity : event["entities"].GetArray()) {
      if (!entity.IsObject()) continue;
      const std::string type = StringMember(entity, "type");
      auto list = std::find_if(digest.entities.begin(), digest.entities.end(),
                               [&type](const auto& entry) { return entry.type == type; });
      if (list == digest.entities.end()) {
        list = digest.entities.insert(digest.entities.end(), {type, Plural(type), {}});
      }
      std::string name = StringMember(entity, "name");
      const std::string identifier = StringMember(entity, "identifier");
      if (type == "country" && !identifier.empty()) name += fmt::format(" ({})", identifier);
      add(list->names, std::move(name));
    }
  }
  std::stable_sort(
      digest.entities.begin(), digest.entities.end(), [](const auto& left, const auto& right) {
        const std::size_t left_rank = TypeRank(left.type);
        const std::size_t right_rank = TypeRank(right.type);
        return left_rank != right_rank ? left_rank < right_rank
                                       : left_rank == kKnownTypes.size() && left.type < right.type;
      });
  if (event.HasMember("fingerprints") && event["fingerprints"].IsObject()) {
    const rapidjson::Value& fingerprints = event["fingerprints"];
    digest.story_id = StringMember(fingerprints, "story_id");
    digest.story_first = !digest.story_id.empty() && digest.story_id == StringMember(event, "id");
    digest.duplicate_of = StringMember(fingerprints, "duplicate_of");
    if (fingerprints.HasMember("duplicate_distance") &&
        fingerprints["duplicate_distance"].IsUint()) {
      digest.duplicate_distance = fingerprints["duplicate_distance"].GetUint();
    }
  }
  return digest;
}

std::string DigestLine(const EventDigest& digest) {
  std::string line = fmt::format("title=\"{}\"", digest.title);
  line += fmt::format(" topics={}", digest.topics.count == 0 ? "none" : ListText(digest.topics));
  for (const EventDigest::EntityList& entities : digest.entities) {
    line += fmt::format(" {}={}", entities.plural, ListText(entities.names));
  }
  if (!digest.story_id.empty()) {
    line += fmt::format(" story={}{}", digest.story_id, digest.story_first ? " (new)" : "");
  }
  if (!digest.duplicate_of.empty()) {
    line += fmt::format(" duplicate_of={}", digest.duplicate_of);
    if (digest.duplicate_distance) {
      line += fmt::format(" (distance {})", *digest.duplicate_distance);
    }
  }
  return line;
}

}  // namespace newswire::app
