#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newswire::app {

// What a person wants to see of one tagged event (docs/events.md), read from its JSON value:
// the demo's per-event log line (log.events) and `newswire tail` render it. Lists keep the
// event's order (most salient first) and are cut at `max_items`, with the full count beside.
struct EventDigest {
  struct List {
    std::vector<std::string> items;
    std::size_t count = 0;  // items in the event, also those cut
  };
  struct EntityList {
    std::string type;    // "country", "person", ...
    std::string plural;  // "countries", "people", ...
    List names;          // countries with their ISO code: "Russia (RU)"
  };

  std::string title;
  std::string published_time;
  List topics;                       // "diplomacy (0.94)"
  std::vector<EntityList> entities;  // known types first (countries, people, organizations,
                                     // places), then any other type by name
  std::string story_id;
  bool story_first = false;  // this article opened its story
  std::string duplicate_of;
  std::optional<unsigned> duplicate_distance;
};

// The digest of `value`, or nothing when it is not a JSON object (not a newswire event).
std::optional<EventDigest> DigestEvent(std::string_view value, std::size_t max_items);

// One line for the log: `title="..." topics=a (0.9), b (0.8) countries=Russia (RU), Venezuela
// (VE) people=... story=ID (new) duplicate_of=ID (distance 2)`; lists cut with "+N more", empty
// ones left out.
std::string DigestLine(const EventDigest& digest);

}  // namespace newswire::app
