#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/core/outbound_event.h"

namespace newswire::pipeline {

struct EncodeOptions {
  // The daemon's CloudEvents source prefix, e.g. "newswire://host-1" (config daemon.source_uri);
  // ce_source is this + "/sources/" + the source's name. Trailing slashes are ignored.
  std::string source_uri;
};

// CloudEvents `type` of every event Encode makes; the "v1" moves with schema_version.
inline constexpr std::string_view kArticleEventType = "newswire.article.tagged.v1";
// "schema_version" in the value; docs/event.schema.json describes this version.
inline constexpr int kEventSchemaVersion = 1;

// The last stage: the article as one Kafka record in the CloudEvents 1.0 Kafka protocol binding,
// binary content mode (docs/events.md is the contract):
//   key      article.id
//   headers  ce_specversion "1.0", ce_id article.fingerprints.revision, ce_source, ce_type
//   kArticleEventType,
//            ce_time `now` (FormatEventTime), ce_subject (the file's base name, else the article
//            url; left out when both are empty, as CloudEvents forbids an empty subject),
//            content-type "application/json"
//   value    the article as compact JSON (docs/event.schema.json): content strings (id, format,
//            title, body) are always strings, every other string is null when empty; `title` is
//            article.derived_title when flags.title_derived.
// Called by Pipeline::Process after Classify; pure and thread-safe. Fails (stage encode) when
// the article has no id or revision (Normalize did not run) or holds a score that is not a finite
// number.
Result<OutboundEvent> Encode(const Article& article, const EncodeOptions& options,
                             std::chrono::system_clock::time_point now);

// "2024-05-01T12:34:56.789Z": RFC 3339, UTC, milliseconds; the ce_time format.
std::string FormatEventTime(std::chrono::system_clock::time_point time);

// One line of JSON for `newswire process`:
//   {"channel":"events","key":"...","headers":{"ce_id":"...",...},"value":{...}}
// An events-channel value is embedded as the JSON object it is (it must be one, as Encode
// makes it); a dead-letter value is embedded as a string, with invalid UTF-8 replaced by U+FFFD.
std::string EventToJsonLine(const OutboundEvent& event);

}  // namespace newswire::pipeline
